import Foundation

/// The SQL migrations in this folder, shipped as resources of the `VigilSchemas` target.
public enum SchemaFiles {
    /// The folder holding one migration set's numbered `.sql` files.
    public static func directory(named name: String) -> URL? {
        Bundle.module.url(forResource: name, withExtension: nil)
    }
}
