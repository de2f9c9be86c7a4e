import Foundation
import Platform
import TestSupport
import Testing

/// ARCHITECTURE.md's module table is what a new reader trusts first: it must say what
/// Package.swift says, and Package.swift must declare every module the code imports
/// (SwiftPM builds an undeclared import when the module happens to be built first).
@Suite("Architecture")
struct ArchitectureTests {
    /// A target of Package.swift, as SwiftPM itself reads the manifest.
    struct Target {
        let name: String
        let kind: String
        let directory: String
        let dependencies: Set<String>
    }

    /// Modules that come with the platform, not from the package graph.
    static let system: Set<String> = ["Glibc", "Darwin", "Synchronization"]

    static func targets() throws -> [Target] {
        let scratch = Paths.temporaryDirectory("dump")
        defer { Paths.removeTree(scratch) }
        // Its own scratch path: the running `swift test` holds the lock on .build.
        let json = try Command.check(["swift", "package", "--package-path", Paths.packageRoot, "--scratch-path", scratch, "dump-package"])
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let targets = try #require(manifest["targets"] as? [[String: Any]])
        return try targets.compactMap { target -> Target? in
            let name = try #require(target["name"] as? String), kind = try #require(target["type"] as? String)
            guard kind != "test", name != "TestSupport" else { return nil }
            // Each dependency is {"byName": ["X", null]}, {"target": [...]} or {"product": ["X", "package", ...]}.
            let dependencies = try (target["dependencies"] as? [[String: [Any]]] ?? []).map { dependency in
                try #require(dependency.values.first?.first as? String)
            }
            let path = target["path"] as? String ?? "Sources/\(name)"
            return Target(name: name, kind: kind, directory: Paths.packageRoot + "/" + path, dependencies: Set(dependencies))
        }
    }

    @Test("ARCHITECTURE.md's module table names every target and, for Swift targets, exactly its dependencies")
    func moduleTable() throws {
        let text = try FileIO.readText(Paths.packageRoot + "/ARCHITECTURE.md")
        // | `Module` (where) | kind | job | imports |
        var rows: [String: (kind: String, imports: Set<String>)] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 6 else { continue }
            let name = String(cells[1].split(separator: "`")[0])
            let imports = cells[4].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "—" }
            rows[name] = (cells[2], Set(imports))
        }
        let targets = try Self.targets()
        #expect(Set(rows.keys) == Set(targets.map(\.name)), "table rows vs Package.swift targets")
        for target in targets {
            guard let row = rows[target.name] else { continue }
            if row.kind.hasPrefix("C") { continue }  // a C target's column lists the libraries it links
            #expect(row.imports == target.dependencies, "\(target.name): table \(row.imports.sorted()) vs Package.swift \(target.dependencies.sorted())")
        }
    }

    @Test("Every module a target's sources import is declared in Package.swift")
    func declaredImports() throws {
        for target in try Self.targets() {
            var imported: Set<String> = []
            let files = try #require(FileManager.default.subpathsOfDirectory(atPath: target.directory) as [String]?)
            for file in files where file.hasSuffix(".swift") {
                for line in try FileIO.readText(target.directory + "/" + file).split(separator: "\n") {
                    let words = line.split(separator: " ")
                    guard let i = words.firstIndex(of: "import"), words[..<i].allSatisfy({ $0.hasPrefix("@") }),
                          i + 1 < words.count else { continue }
                    imported.insert(String(words[i + 1]))
                }
            }
            let undeclared = imported.subtracting(target.dependencies).subtracting(Self.system)
            #expect(undeclared.isEmpty, "\(target.name) imports \(undeclared.sorted()) without declaring them")
            #expect(target.dependencies.isEmpty || !imported.isEmpty, "\(target.name): no import read under \(target.directory)")
        }
    }
}
