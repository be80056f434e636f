/// The durability model `vigil durability` evaluates (see README, "Durability").
public enum DurabilityModel {}
