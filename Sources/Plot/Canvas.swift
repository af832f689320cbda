import CCairo
import Histograms

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Picture file formats, all drawn by the same code through Cairo.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, svg, pdf
}

/// A Cairo context with the few drawing operations the figures use. Coordinates are in pixels
/// (PNG, SVG) or points (PDF), y downwards.
final class Canvas {
    // Safe: `cr` is created by `render` for the duration of one drawing and destroyed after it.
    let cr: OpaquePointer
    let width: Double
    let height: Double

    init(_ cr: OpaquePointer, width: Double, height: Double) {
        self.cr = cr
        self.width = width
        self.height = height
    }

    enum Style { case regular, bold, italic, sub }

    func color(_ c: RGB, alpha: Double = 1) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha) }

    func line(_ points: [(Double, Double)], width: Double = 1, dash: [Double] = []) {
        guard let first = points.first else { return }
        cairo_set_line_width(cr, width)
        dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    func fillRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double) {
        cairo_rectangle(cr, x, y, w, h)
        cairo_fill(cr)
    }

    func strokeRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, width: Double = 1, dash: [Double] = []) {
        line([(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)], width: width, dash: dash)
    }

    func fillPolygon(_ points: [(Double, Double)]) {
        guard let first = points.first else { return }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_close_path(cr)
        cairo_fill(cr)
    }

    func clip(_ x: Double, _ y: Double, _ w: Double, _ h: Double) {
        cairo_save(cr)
        cairo_rectangle(cr, x, y, w, h)
        cairo_clip(cr)
    }

    func unclip() { cairo_restore(cr) }

    func font(_ size: Double, _ style: Style = .regular) {
        cairo_select_font_face(cr, "DejaVu Sans", style == .italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                               style == .bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, style == .sub ? size * 0.7 : size)
    }

    func textWidth(_ s: String) -> Double {
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, s, &e)
        return e.x_advance
    }

    /// Draws `s` with its baseline at y; `align` 0 left, 0.5 centred, 1 right of x; `angle` in
    /// radians (the y title is turned by −π/2).
    func text(_ s: String, _ x: Double, _ y: Double, align: Double = 0, angle: Double = 0) {
        cairo_save(cr)
        cairo_translate(cr, x, y)
        if angle != 0 { cairo_rotate(cr, angle) }
        cairo_move_to(cr, -textWidth(s) * align, 0)
        cairo_show_text(cr, s)
        cairo_restore(cr)
    }

    /// Runs of text in different styles (subscripts smaller and lowered), one after the other,
    /// aligned and turned as `text` does.
    func runs(_ parts: [(String, Style)], _ x: Double, _ y: Double, size: Double, align: Double = 0, angle: Double = 0) {
        var total = 0.0
        for (s, style) in parts {
            font(size, style)
            total += textWidth(s)
        }
        cairo_save(cr)
        cairo_translate(cr, x, y)
        if angle != 0 { cairo_rotate(cr, angle) }
        var at = -total * align
        for (s, style) in parts {
            font(size, style)
            cairo_move_to(cr, at, style == .sub ? size * 0.25 : 0)
            cairo_show_text(cr, s)
            at += textWidth(s)
        }
        cairo_restore(cr)
    }

    /// A title: `_{…}` marks a subscript, as in "E_{ECAL} [GeV]".
    static func parse(_ title: String) -> [(String, Style)] {
        var out: [(String, Style)] = []
        var plain = "", sub: String? = nil
        var chars = Array(title)[...]
        while let ch = chars.popFirst() {
            if sub != nil {
                if ch == "}" { out.append((sub!, .sub)); sub = nil } else { sub!.append(ch) }
            } else if ch == "_", chars.first == "{", chars.dropFirst().contains("}") {
                chars.removeFirst()
                if !plain.isEmpty { out.append((plain, .regular)); plain = "" }
                sub = ""
            } else {
                plain.append(ch)
            }
        }
        if !plain.isEmpty || out.isEmpty { out.append((plain, .regular)) }
        return out
    }

    /// A grid of columns × rows cells drawn into the rectangle, cell (0, 0) at the top left;
    /// nil cells are left blank. Each cell is a rectangle (sharp edges in every format), drawn
    /// a little past its right and lower edges so that renderers of SVG and PDF, which smooth
    /// edges, show no hairline gaps between neighbours.
    func cells(_ colors: [RGB?], columns: Int, rows: Int, x: Double, y: Double, w: Double, h: Double) {
        let cw = w / Double(columns), ch = h / Double(rows)
        clip(x, y, w, h)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
        for r in 0..<rows {
            for c in 0..<columns {
                guard let col = colors[r * columns + c] else { continue }
                color(col)
                let x0 = x + Double(c) * cw, y0 = y + Double(r) * ch
                cairo_rectangle(cr, x0, y0, x + Double(c + 1) * cw - x0 + 0.5, y + Double(r + 1) * ch - y0 + 0.5)
                cairo_fill(cr)
            }
        }
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT)
        unclip()
    }
}

/// Renders a drawing to a file in one of the formats. The file is written as PATH.partial and
/// renamed when Cairo reports success, so a failed write leaves nothing that looks complete.
public enum Picture {
    /// PDF creation date: fixed, so that the same histograms give the same bytes.
    static let pdfDate = "2000-01-01T00:00:00Z"

    static func render(_ path: String, _ format: ImageFormat, width: Double, height: Double, _ draw: (Canvas) -> Void) throws(HistogramError) {
        let partial = path + ".partial"
        let surface: OpaquePointer?
        switch format {
        case .png: surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        case .svg: surface = cairo_svg_surface_create(partial, width, height)
        case .pdf: surface = cairo_pdf_surface_create(partial, width, height)
        }
        guard let surface, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            let why = surface.map { String(cString: cairo_status_to_string(cairo_surface_status($0))) } ?? "no surface"
            if let surface { cairo_surface_destroy(surface) }
            unlink(partial)
            throw HistogramError("cannot draw: \(why)", path: path)
        }
        switch format {
        case .svg: cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX)
        case .pdf:
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, pdfDate)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "darkscan")
        case .png: break
        }
        let cr = cairo_create(surface)!
        // A white page.
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        draw(Canvas(cr, width: width, height: height))
        var status = cairo_status(cr)
        cairo_destroy(cr)
        if format == .png, status == CAIRO_STATUS_SUCCESS { status = cairo_surface_write_to_png(surface, partial) }
        cairo_surface_finish(surface)
        if status == CAIRO_STATUS_SUCCESS { status = cairo_surface_status(surface) }
        cairo_surface_destroy(surface)
        guard status == CAIRO_STATUS_SUCCESS, rename(partial, path) == 0 else {
            let why = status == CAIRO_STATUS_SUCCESS ? String(cString: strerror(errno)) : String(cString: cairo_status_to_string(status))
            unlink(partial)
            throw HistogramError("cannot write the picture: \(why)", path: path)
        }
    }
}

/// A decoded PNG (through Cairo's reader): for checking pictures.
public struct DecodedImage: Sendable {
    public let width: Int
    public let height: Int
    /// 0xRRGGBB per pixel, row by row.
    public let pixels: [UInt32]

    public func color(_ x: Int, _ y: Int) -> RGB { RGB(hex: pixels[y * width + x]) }

    /// Reads a PNG file; nil when it is not one.
    public static func png(_ path: String) -> DecodedImage? {
        guard let s = cairo_image_surface_create_from_png(path) else { return nil }
        defer { cairo_surface_destroy(s) }
        guard cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else { return nil }
        cairo_surface_flush(s)
        let w = Int(cairo_image_surface_get_width(s)), h = Int(cairo_image_surface_get_height(s)), stride = Int(cairo_image_surface_get_stride(s))
        guard let data = cairo_image_surface_get_data(s) else { return nil }
        var px = [UInt32](repeating: 0, count: w * h)
        for y in 0..<h {
            // Safe: Cairo's image rows are `stride` bytes apart, each holding w 32-bit pixels.
            let row = UnsafeRawPointer(data + y * stride)
            for x in 0..<w { px[y * w + x] = row.load(fromByteOffset: x * 4, as: UInt32.self) & 0xFFFFFF }
        }
        return DecodedImage(width: w, height: h, pixels: px)
    }
}

