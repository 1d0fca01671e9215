/// `dynamic/instance-identity/document`: exactly the documented member set and order, with the
/// region consistent with the AZ, because Java and Go read their region from it.
public enum IdentityDocument {
    public static func json(_ m: InstanceMetadata, pendingTime: Timestamp) -> JSONValue {
        .object([
            ("accountId", .string(m.accountId)),
            ("architecture", .string(m.resolvedArchitecture)),
            ("availabilityZone", .string(m.resolvedAvailabilityZone)),
            ("billingProducts", .null),
            ("devpayProductCodes", .null),
            ("marketplaceProductCodes", .null),
            ("imageId", .string(m.amiId)),
            ("instanceId", .string(m.instanceId)),
            ("instanceType", .string(m.instanceType)),
            ("kernelId", .null),
            ("pendingTime", .string((m.pendingTime ?? pendingTime).iso8601)),
            ("privateIp", .string(m.localIPv4)),
            ("ramdiskId", .null),
            ("region", .string(m.region)),
            ("version", .string("2017-09-30")),
        ])
    }
}
