package io.simqtt.core.protocol;

/**
 * What a CONNECT and the broker's limits settled on for one connection.
 *
 * @param clientId the client id in force (assigned when the client sent none)
 * @param assignedClientId whether the broker chose it (sent as Assigned Client Identifier)
 * @param keepAlive keep alive in seconds, 0 = none
 * @param keepAliveLowered whether it differs from the client's (sent as Server Keep Alive)
 * @param sessionExpiry the Session Expiry Interval in force
 * @param sessionExpiryCapped whether it differs from the client's request
 * @param receiveMaximum the client's Receive Maximum
 * @param topicAliasMaximum the client's Topic Alias Maximum
 * @param responseInformation whether the client asked for Response Information
 */
record ConnectTerms(
    String clientId,
    boolean assignedClientId,
    int keepAlive,
    boolean keepAliveLowered,
    long sessionExpiry,
    boolean sessionExpiryCapped,
    int receiveMaximum,
    int topicAliasMaximum,
    boolean responseInformation) {}
