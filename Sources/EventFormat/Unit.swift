/// Physical units of column values. A unit is stored in the file as its symbol; the symbol table
/// below is part of the format (Formats/EVC.md, "Units"). Symbols outside it are kept verbatim
/// and treated as dimensionless labels with no conversion.
public struct Unit: Hashable, Sendable, CustomStringConvertible {
    public enum Dimension: String, Sendable {
        case none, energy, time, length, momentum, charge, angle, other
    }

    public let symbol: String
    public let dimension: Dimension
    /// The factor that turns a value in this unit into the dimension's base unit
    /// (GeV for energy, ns for time, mm for length, GeV/c for momentum).
    public let scale: Double

    public var description: String { symbol.isEmpty ? "—" : symbol }

    public static let none = Unit(symbol: "", dimension: .none, scale: 1)

    static let known: [Unit] = [
        Unit(symbol: "eV", dimension: .energy, scale: 1e-9),
        Unit(symbol: "keV", dimension: .energy, scale: 1e-6),
        Unit(symbol: "MeV", dimension: .energy, scale: 1e-3),
        Unit(symbol: "GeV", dimension: .energy, scale: 1),
        Unit(symbol: "TeV", dimension: .energy, scale: 1e3),
        Unit(symbol: "ps", dimension: .time, scale: 1e-3),
        Unit(symbol: "ns", dimension: .time, scale: 1),
        Unit(symbol: "us", dimension: .time, scale: 1e3),
        Unit(symbol: "ms", dimension: .time, scale: 1e6),
        Unit(symbol: "s", dimension: .time, scale: 1e9),
        Unit(symbol: "um", dimension: .length, scale: 1e-3),
        Unit(symbol: "mm", dimension: .length, scale: 1),
        Unit(symbol: "cm", dimension: .length, scale: 10),
        Unit(symbol: "m", dimension: .length, scale: 1e3),
        Unit(symbol: "MeV/c", dimension: .momentum, scale: 1e-3),
        Unit(symbol: "GeV/c", dimension: .momentum, scale: 1),
        Unit(symbol: "ADC", dimension: .other, scale: 1),
        Unit(symbol: "rad", dimension: .angle, scale: 1),
        Unit(symbol: "mrad", dimension: .angle, scale: 1e-3),
    ]

    /// The unit with this symbol: a known one, or a dimensionless label for anything else.
    public init(_ symbol: String) {
        if let u = Unit.known.first(where: { $0.symbol == symbol }) {
            self = u
        } else {
            self.init(symbol: symbol, dimension: symbol.isEmpty ? .none : .other, scale: 1)
        }
    }

    private init(symbol: String, dimension: Dimension, scale: Double) {
        self.symbol = symbol
        self.dimension = dimension
        self.scale = scale
    }

    public var isKnown: Bool { symbol.isEmpty || Unit.known.contains(self) }
}
