// The exported functions of include/darkscan.h: versions, datasets, schema, metadata.
import CDarkscanABI
import Darkscan

#if canImport(Glibc)
import Glibc
#endif

let darkscanVersion = "0.1.0"
nonisolated(unsafe) let versionCString: UnsafeMutablePointer<CChar> = mallocString(darkscanVersion)

@c public func darkscan_abi_version() -> UInt32 { UInt32(DARKSCAN_ABI_VERSION) }

@c public func darkscan_version() -> UnsafePointer<CChar> { UnsafePointer(versionCString) }

@c public func darkscan_open_options_init(_ options: UnsafeMutablePointer<darkscan_open_options>?) {
    guard let options else { return }
    options.pointee = darkscan_open_options(struct_size: MemoryLayout<darkscan_open_options>.size, verify_checksums: 1, threads: 0)
}

@c public func darkscan_query_options_init(_ options: UnsafeMutablePointer<darkscan_query_options>?) {
    guard let options else { return }
    options.pointee = darkscan_query_options()
    options.pointee.struct_size = MemoryLayout<darkscan_query_options>.size
}

@c public func darkscan_open(_ paths: UnsafePointer<UnsafePointer<CChar>?>?, _ nPaths: Int, _ options: UnsafePointer<darkscan_open_options>?,
                             _ out: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        guard let out else { throw CFailure.argument("out is NULL") }
        guard let list = try stringArray(paths, nPaths, "paths"), !list.isEmpty else { throw CFailure.argument("no paths given") }
        var threads = QueryOptions().threads
        var verify = true
        if let o = options {
            guard o.pointee.struct_size >= MemoryLayout<darkscan_open_options>.size, o.pointee.struct_size <= 1 << 16 else {
                throw CFailure.argument("darkscan_open_options.struct_size is \(o.pointee.struct_size): set it to sizeof(darkscan_open_options)")
            }
            guard o.pointee.threads >= 0, o.pointee.threads <= 4096 else { throw CFailure.argument("threads must be 0 (every core) to 4096, got \(o.pointee.threads)") }
            if o.pointee.threads > 0 { threads = Int(o.pointee.threads) }
            verify = o.pointee.verify_checksums != 0
        }
        let ds = try EVCDataset(paths: list)
        out.pointee = Handles.register(DatasetHandle(dataset: ds, threads: threads, verifyChecksums: verify))
    }
}

@c public func darkscan_close(_ dataset: UnsafeMutablePointer<OpaquePointer?>?) {
    guard let dataset, let h = dataset.pointee else { return }
    Handles.close(h)
    dataset.pointee = nil
}

@c public func darkscan_event_count(_ dataset: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?, _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        let h = try Handles.dataset(dataset)
        guard let out else { throw CFailure.argument("out is NULL") }
        out.pointee = Int64(h.dataset.eventCount)
    }
}

@c public func darkscan_schema(_ dataset: OpaquePointer?, _ columns: UnsafePointer<UnsafePointer<CChar>?>?, _ nColumns: Int,
                               _ out: UnsafeMutablePointer<ArrowSchema>?, _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        let h = try Handles.dataset(dataset)
        guard let out else { throw CFailure.argument("out is NULL") }
        let names = try stringArray(columns, nColumns, "columns")
        let schema = try h.dataset.projection(names)
        let order = try ArrowLayout.order(schema, names)
        ArrowSchemaExport.export(ArrowLayout.schema(schema, order: order, metadata: ArrowLayout.datasetMetadata(h.dataset, query: nil)), into: out)
    }
}

@c public func darkscan_metadata_json(_ dataset: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                      _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        let h = try Handles.dataset(dataset)
        guard let out else { throw CFailure.argument("out is NULL") }
        let ds = h.dataset
        let fields: [[String: Any]] = ds.schema.fields.map {
            ["name": $0.name, "type": $0.typeDescription, "unit": $0.unit.symbol, "description": $0.description, "id": Int($0.id)]
        }
        let files: [[String: Any]] = ds.files.map { f in
            var meta: [String: String] = [:]
            for (k, v) in f.metadata { meta[k] = v }
            return ["path": f.path, "events": f.eventCount, "clusters": f.clusterCount, "bytes": f.fileSize,
                    "version": "\(f.version.major).\(f.version.minor)", "metadata": meta]
        }
        out.pointee = mallocString(jsonText(["events": ds.eventCount, "fields": fields, "files": files]))
    }
}
