/// The element types an EVC column can hold. Raw values are the type codes of the file format
/// (Formats/EVC.md, "Scalar types").
public enum ScalarType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case bool = 1
    case int8 = 2, int16 = 3, int32 = 4, int64 = 5
    case uint8 = 6, uint16 = 7, uint32 = 8, uint64 = 9
    case float32 = 10, float64 = 11

    /// Bytes one value occupies in memory and in the plain encoding.
    public var width: Int {
        switch self {
        case .bool, .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    public var isFloat: Bool { self == .float32 || self == .float64 }
    public var isSignedInteger: Bool { [.int8, .int16, .int32, .int64].contains(self) }
    public var isUnsignedInteger: Bool { [.uint8, .uint16, .uint32, .uint64].contains(self) }
    public var isInteger: Bool { isSignedInteger || isUnsignedInteger }

    public var description: String {
        switch self {
        case .bool: "bool"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .float32: "float32"
        case .float64: "float64"
        }
    }

    public init?(name: String) {
        guard let t = ScalarType.allCases.first(where: { $0.description == name }) else { return nil }
        self = t
    }
}

/// A Swift type that maps one-to-one onto an EVC scalar type.
public protocol EVCScalar: BitwiseCopyable, Sendable {
    static var scalarType: ScalarType { get }
}

extension Bool: EVCScalar { public static var scalarType: ScalarType { .bool } }
extension Int8: EVCScalar { public static var scalarType: ScalarType { .int8 } }
extension Int16: EVCScalar { public static var scalarType: ScalarType { .int16 } }
extension Int32: EVCScalar { public static var scalarType: ScalarType { .int32 } }
extension Int64: EVCScalar { public static var scalarType: ScalarType { .int64 } }
extension UInt8: EVCScalar { public static var scalarType: ScalarType { .uint8 } }
extension UInt16: EVCScalar { public static var scalarType: ScalarType { .uint16 } }
extension UInt32: EVCScalar { public static var scalarType: ScalarType { .uint32 } }
extension UInt64: EVCScalar { public static var scalarType: ScalarType { .uint64 } }
extension Float: EVCScalar { public static var scalarType: ScalarType { .float32 } }
extension Double: EVCScalar { public static var scalarType: ScalarType { .float64 } }
