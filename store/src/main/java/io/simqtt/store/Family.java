package io.simqtt.store;

import java.nio.charset.StandardCharsets;

/** The store's column families: each kind of entry sorted and compacted apart. */
enum Family {
  /** The format version, and whatever else describes the store itself. */
  META("meta"),
  /** A persistent session's own part, by client id. */
  SESSIONS("sessions"),
  /** The QoS 1/2 messages sessions hold, by client id and the session's sequence number. */
  MESSAGES("messages"),
  /** Inbound QoS 2 packet ids awaiting PUBREL, by client id and packet id. */
  INBOUND_QOS2("inbound-qos2"),
  /**
   * Wills of stored sessions that went out and whose copies are not all durable yet, by client id
   * and the will's number (format version 3).
   */
  DUE_WILLS("due-wills"),
  /** Retained messages and tombstones, by topic. */
  RETAINED("retained"),
  /** Forwards peers have not acknowledged yet, by peer id and the link's number. */
  FORWARDS("forwards"),
  /** Which forwards of each peer's incarnation this node has taken, by peer id and incarnation. */
  FORWARDS_SEEN("forwards-seen"),
  /**
   * Sessions whose queued entries are arriving from another node and are not installed yet: a
   * mark by client id (format version 4, where the entries began at {@code
   * SessionImport.FIRST_SEQ}), by client id and the first seq of those entries (format version 5,
   * so two imports of one client that overlap each have their own); the value is empty.
   */
  IMPORTS("imports"),
  /**
   * Stored sessions that moved to another node, each kept in its session's place while it
   * redirects there, by client id (format version 6).
   */
  REDIRECTS("redirects");

  private final byte[] name;

  Family(String name) {
    this.name = name.getBytes(StandardCharsets.UTF_8);
  }

  byte[] columnFamilyName() {
    return name.clone();
  }
}
