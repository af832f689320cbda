import EventFormat

/// Where a batch's values of one column come from: a cursor over the column's pages in a file,
/// or a column the scan derives (a friend dataset's column, the good-spill flag). `BatchView`
/// asks every source alike, once per batch and column.
protocol ColumnSource: AnyObject {
    /// The values of elements `range` (cluster-relative), contiguous; valid until the next call.
    func values(_ range: Range<Int>) throws(EVCError) -> UnsafeRawPointer
    /// What the pages holding elements `range` prove (merged statistics), and the element up to
    /// which that holds; nil when unknown.
    func statistics(_ range: Range<Int>) -> (Statistics, validUntil: Int)?
    /// For an offsets column: the values its list holds in the cluster (no offset may pass it).
    var listValueCount: Int { get }
    /// An error about this column's data, naming file, cluster and column.
    func corrupt(_ message: String) -> EVCError
}

extension ColumnCursor: ColumnSource {
    var listValueCount: Int { cluster.columns[column + 1].elementCount }

    func corrupt(_ message: String) -> EVCError {
        EVCError(.corrupt, message, path: file.path, place: "cluster \(cluster.index), column \(file.schema.columns[column].path)")
    }
}
