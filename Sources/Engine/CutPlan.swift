import EventFormat
import Query

/// `column op constant` resolved once per query for the column's own type: the constant is
/// adjusted so that comparing in the column's type gives exactly the result of comparing the
/// value widened to Double (Kernels.float32Threshold, Kernels.integerThreshold). The fused
/// kernels run it: compare and narrow the selection in one pass.
struct ColumnTest: Equatable, Sendable {
    enum Constant: Equatable, Sendable {
        case f32(Float), f64(Double), u8(UInt8), i8(Int8), i16(Int16), u16(UInt16)
        case i32(Int32), u32(UInt32), i64(Int64), u64(UInt64)
    }

    let column: Int
    /// Values per event, and which of them is compared (a scalar: 1 and 0).
    let per: Int
    let offset: Int
    let op: CompareOp
    let constant: Constant

    var code: Int32 { Kernels.code(op) }
}

/// One step of a cut: the cut is the conjunction of its steps, run in order on the events the
/// previous steps kept.
enum CutStep: Equatable, Sendable {
    /// A column compared with a constant, by the fused kernels.
    case test(ColumnTest)
    /// False for every event whatever the data (e.g. `== 0.1` on a float32 column, which holds
    /// no value equal to the Double 0.1).
    case never
    /// Anything else, by the evaluator.
    case general(Expr)
}

enum CutPlan {
    /// The steps of a cut condition: top-level `and`s are flattened, comparisons of a column
    /// with a constant and bool columns become tests, constant truths fold away.
    static func steps(_ e: Expr) -> [CutStep] {
        switch e {
        case .and(let parts): return parts.flatMap(steps)
        case .boolean(let b): return b ? [] : [.never]
        case .scalar(let c, .bool): return [.test(ColumnTest(column: c, per: 1, offset: 0, op: .ne, constant: .u8(0)))]
        case .element(let c, .bool, let offset, let per):
            return [.test(ColumnTest(column: c, per: per, offset: offset, op: .ne, constant: .u8(0)))]
        case .not(.scalar(let c, .bool)): return [.test(ColumnTest(column: c, per: 1, offset: 0, op: .eq, constant: .u8(0)))]
        case .not(.element(let c, .bool, let offset, let per)):
            return [.test(ColumnTest(column: c, per: per, offset: offset, op: .eq, constant: .u8(0)))]
        case .compare(var op, var a, var b):
            if case .number = a {
                swap(&a, &b)
                op = Evaluator.flipped(op)
            }
            guard case .number(let c) = b else { return [.general(e)] }
            switch a {
            case .scalar(let col, let type) where type != .bool:
                return test(col, per: 1, offset: 0, type: type, op, c).map { [$0] } ?? []
            case .element(let col, let type, let offset, let per) where type != .bool:
                return test(col, per: per, offset: offset, type: type, op, c).map { [$0] } ?? []
            default:
                return [.general(e)]
            }
        default:
            return [.general(e)]
        }
    }

    /// `value op c` on a column of `type` as a step, or nil when it holds for every value.
    static func test(_ column: Int, per: Int, offset: Int, type: ScalarType, _ op: CompareOp, _ c: Double) -> CutStep? {
        func make(_ o: CompareOp, _ k: ColumnTest.Constant) -> CutStep {
            .test(ColumnTest(column: column, per: per, offset: offset, op: o, constant: k))
        }
        func integer<T: FixedWidthInteger>(_: T.Type, _ wrap: (T) -> ColumnTest.Constant) -> CutStep? {
            switch Kernels.integerThreshold(op, c, T.self) {
            case .none: return .never
            case .all: return nil
            case .compare(let o, let t): return make(o, wrap(t))
            }
        }
        switch type {
        case .float32:
            // == or != against a value no float32 holds: never equal; != holds for all but NaN,
            // which is `x >= -inf`.
            guard let (o, t) = Kernels.float32Threshold(op, c) else { return op == .ne ? make(.ge, .f32(-.infinity)) : .never }
            return make(o, .f32(t))
        case .float64: return make(op, .f64(c))
        case .uint8, .bool: return integer(UInt8.self) { .u8($0) }
        case .int8: return integer(Int8.self) { .i8($0) }
        case .int16: return integer(Int16.self) { .i16($0) }
        case .uint16: return integer(UInt16.self) { .u16($0) }
        case .int32: return integer(Int32.self) { .i32($0) }
        case .uint32: return integer(UInt32.self) { .u32($0) }
        case .int64: return integer(Int64.self) { .i64($0) }
        case .uint64: return integer(UInt64.self) { .u64($0) }
        }
    }
}
