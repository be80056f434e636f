import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// The generation a copy of `volume` gets on `node`: the source's, unless the
    /// node already has a file of the volume (in `extents/` or `trash/`); then one
    /// above every generation the index or the node knows, so the copy never
    /// shares a name with an extent the node holds or the trash inspector judges.
    func installGeneration(volume: Int64, source: Int, on node: NodeRecord, replicas: [ReplicaRecord]) async throws -> UInt32 {
        let files = try await self.node(node).listExtents().filter { $0.volume == UInt64(volume) }
        guard !files.isEmpty else { return UInt32(source) }
        let known = files.map { Int($0.generation) } + replicas.map(\.generation) + [source]
        return UInt32(known.max()! + 1)
    }

    /// Rewrites the extent header of the staged copy at `path` with `generation`
    /// (records, footer and seal are unchanged: none of them names the generation).
    func restamp(_ path: String, generation: UInt32) async throws {
        try await blockingIO {
            guard var header = try ExtentReader(path: path).header() else { throw RepairError("the staged copy has no readable extent header") }
            guard header.generation != generation else { return }
            header.generation = generation
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: Data(header.encode()))
            try handle.synchronize()
        }
    }

    /// Moves the extents a repair replaces into trash, each by a recorded trash
    /// instruction, so the trash inspector judges them and GC unlinks them as
    /// any other trash. Nothing is ever installed over them.
    func trashReplaced(_ names: [ExtentName], on node: NodeRecord, reason: String) async throws {
        for name in names {
            let id = try await index.recordInstruction(kind: "trash", node: node.id, volume: Int64(name.volume), generation: Int(name.generation), reason: reason)
            do {
                try await self.node(node).trash(name, instruction: id)
            } catch let error as NodeClientError where error.code == "no_such_extent" {
                // Moved by an earlier attempt: nothing left to move.
            }
            try await index.markExecuted(id)
            logger.notice("replaced extent moved to trash", metadata: ["vigil.instruction": "\(id)", "vigil.extent": "\(name)", "vigil.node": "\(node.name)"])
        }
    }

    /// Records an install instruction, then sends the verified copy at `staged`;
    /// the node refuses it while it holds an extent of the volume. Returns the
    /// instruction's id (marked executed once the node answered).
    @discardableResult
    func installRecorded(_ staged: String, as name: ExtentName, on node: NodeRecord, reason: String) async throws -> Int64 {
        let id = try await index.recordInstall(node: node.id, volume: Int64(name.volume), generation: Int(name.generation), reason: reason)
        try await self.node(node).installExtent(name, from: staged, instruction: id)
        try await index.markExecuted(id)
        logger.notice("installed a verified copy", metadata: ["vigil.instruction": "\(id)", "vigil.extent": "\(name)", "vigil.node": "\(node.name)"])
        return id
    }
}
