package io.simqtt.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The store's keys (format version {@link DurableStore#FORMAT_VERSION}). Everything of one
 * client starts with the same prefix, the client id's UTF-8 length (2 bytes, big-endian) and
 * bytes, so one client's entries lie together and one range covers them all:
 *
 * <ul>
 *   <li>{@link Family#SESSIONS}: prefix
 *   <li>{@link Family#REDIRECTS}: prefix
 *   <li>{@link Family#IMPORTS}: prefix, the import's first seq (8 bytes, as a seq); a mark of
 *       format version 4 is the prefix alone
 *   <li>{@link Family#MESSAGES}: prefix, seq (8 bytes, big-endian with the sign bit flipped, so
 *       the bytes sort as the numbers do), kind ({@link #DELIVERY} or {@link #SENT})
 *   <li>{@link Family#INBOUND_QOS2}: prefix, packet id (2 bytes)
 *   <li>{@link Family#RETAINED}: the topic's UTF-8 bytes
 *   <li>{@link Family#FORWARDS}: the peer's id as a client's prefix, then the forward's number
 *       (8 bytes, as a seq)
 *   <li>{@link Family#DUE_WILLS}: prefix, the will's number (8 bytes, as a seq)
 *   <li>{@link Family#FORWARDS_SEEN}: the peer's id as a client's prefix, its incarnation (8
 *       bytes, as a seq): the watermark; with the first number of a range after that (8 bytes,
 *       as a seq): a range beyond the watermark
 * </ul>
 *
 * Clients sort by id length, then id bytes; a client's entries by seq; a peer's forwards by
 * number.
 */
final class Keys {
  /** A message entry's delivery. */
  static final byte DELIVERY = 0;
  /** A message entry's sent state, written once it went out. */
  static final byte SENT = 1;

  private static final int MAX_CLIENT_ID_BYTES = 65_535;

  private Keys() {}

  static byte[] client(String clientId) {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    if (id.length > MAX_CLIENT_ID_BYTES) {
      throw new IllegalArgumentException("client id of " + id.length + " bytes");
    }
    return ByteBuffer.allocate(2 + id.length).putShort((short) id.length).put(id).array();
  }

  /** Greater than every key of the client in every family (the end of its range, exclusive). */
  static byte[] clientEnd(String clientId) {
    byte[] prefix = client(clientId);
    byte[] end = Arrays.copyOf(prefix, prefix.length + 9);
    Arrays.fill(end, prefix.length, end.length, (byte) 0xFF);
    return end;
  }

  static byte[] message(String clientId, long seq, byte kind) {
    byte[] prefix = client(clientId);
    return ByteBuffer.allocate(prefix.length + 9)
        .put(prefix)
        .putLong(seq ^ Long.MIN_VALUE)
        .put(kind)
        .array();
  }

  static byte[] forward(String peerId, long seq) {
    return numbered(peerId, seq);
  }

  static byte[] importMark(String clientId, long firstSeq) {
    return numbered(clientId, firstSeq);
  }

  static byte[] dueWill(String clientId, long willId) {
    return numbered(clientId, willId);
  }

  /** A client's (or peer's) prefix and a number (8 bytes, as a seq). */
  private static byte[] numbered(String id, long n) {
    byte[] prefix = client(id);
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(n ^ Long.MIN_VALUE).array();
  }

  static byte[] seen(String peerId, long incarnation) {
    byte[] prefix = client(peerId);
    return ByteBuffer.allocate(prefix.length + 8)
        .put(prefix)
        .putLong(incarnation ^ Long.MIN_VALUE)
        .array();
  }

  /** Greater than every key of the peer's incarnation (the end of its range, exclusive). */
  static byte[] seenEnd(String peerId, long incarnation) {
    byte[] watermark = seen(peerId, incarnation);
    byte[] end = Arrays.copyOf(watermark, watermark.length + 9);
    Arrays.fill(end, watermark.length, end.length, (byte) 0xFF);
    return end;
  }

  static byte[] seenRange(String peerId, long incarnation, long first) {
    byte[] prefix = client(peerId);
    return ByteBuffer.allocate(prefix.length + 16)
        .put(prefix)
        .putLong(incarnation ^ Long.MIN_VALUE)
        .putLong(first ^ Long.MIN_VALUE)
        .array();
  }

  /** Whether a {@link Family#FORWARDS_SEEN} key is a range's (else the watermark's). */
  static boolean isSeenRange(byte[] key) {
    return key.length - 2 - idLength(key) == 16;
  }

  /** The first number of a range's key in {@link Family#FORWARDS_SEEN}. */
  static long rangeFirstOf(byte[] key) {
    return ByteBuffer.wrap(key, 2 + idLength(key) + 8, 8).getLong() ^ Long.MIN_VALUE;
  }

  static byte[] inboundQos2(String clientId, int packetId) {
    byte[] prefix = client(clientId);
    return ByteBuffer.allocate(prefix.length + 2).put(prefix).putShort((short) packetId).array();
  }

  static byte[] topic(String topic) {
    return topic.getBytes(StandardCharsets.UTF_8);
  }

  static String topicOf(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  static String clientIdOf(byte[] key) {
    int length = idLength(key);
    return new String(key, 2, length, StandardCharsets.UTF_8);
  }

  /** Whether {@code key} is a client's prefix alone. */
  static boolean isClientOnly(byte[] key) {
    return key.length == 2 + idLength(key);
  }

  static long seqOf(byte[] key) {
    return ByteBuffer.wrap(key, 2 + idLength(key), 8).getLong() ^ Long.MIN_VALUE;
  }

  static byte kindOf(byte[] key) {
    return key[2 + idLength(key) + 8];
  }

  static int packetIdOf(byte[] key) {
    return ByteBuffer.wrap(key, 2 + idLength(key), 2).getShort() & 0xFFFF;
  }

  /**
   * How much of a {@code family} key names what the writer keeps in order (a write waits behind
   * an earlier one of the same): a client's message entries are one, so they reach the disk in
   * the order written (a sent record without its delivery is damage, and a page read moves its
   * cursor past what it finds); every other key is its own.
   */
  static int entryLength(Family family, byte[] key) {
    return family == Family.MESSAGES ? key.length - 9 : key.length;
  }

  /** Whether {@code key} has the layout of a {@code family} key (a damaged one may not). */
  static boolean wellFormed(Family family, byte[] key) {
    if (family == Family.RETAINED || family == Family.META) {
      return true;
    }
    if (key.length < 2) {
      return false;
    }
    int rest = key.length - 2 - idLength(key);
    return switch (family) {
      case SESSIONS, REDIRECTS -> rest == 0;
      case IMPORTS -> rest == 0 || rest == 8;
      case MESSAGES -> rest == 9 && (kindOf(key) == DELIVERY || kindOf(key) == SENT);
      case INBOUND_QOS2 -> rest == 2;
      case FORWARDS, DUE_WILLS -> rest == 8;
      case FORWARDS_SEEN -> rest == 8 || rest == 16;
      default -> true;
    };
  }

  private static int idLength(byte[] key) {
    return ((key[0] & 0xFF) << 8) | (key[1] & 0xFF);
  }
}
