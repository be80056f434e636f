/// Logger metadata keys, dotted, in one place.
public enum LogKey {
    public static let zone = "vigil.zone"
    public static let node = "vigil.node"
    public static let verifier = "vigil.verifier"
    public static let volume = "vigil.volume"
    public static let extent = "vigil.extent"
    public static let key = "vigil.key"
    public static let instruction = "vigil.instruction"
    public static let error = "vigil.error"
    public static let address = "vigil.address"
    public static let service = "vigil.service"
}
