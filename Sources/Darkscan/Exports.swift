@_exported import EventFormat
