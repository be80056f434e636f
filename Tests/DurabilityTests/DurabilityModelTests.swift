import Testing
import VigilDurability

@Suite("Durability model")
struct DurabilityModelTests {}
