package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;

/**
 * Reads MQTT data types from the cumulation buffer up to a limit (the end of the packet, or of a
 * property section), so a length field that points past it is reported instead of reading into
 * the next packet.
 *
 * <p>The words that name a field in an error ("PUBLISH topic name length") are put together only
 * when there is an error: built for every field, they were a sixth of the bytes a message
 * allocated (docs/BENCHMARKS.md, "Allocation per message, second slice").
 */
final class FieldReader {
  private ByteBuf buf;
  private int limit;
  private String packetName;
  private String limitName;

  void reset(ByteBuf buf, int limit, String packetName) {
    this.buf = buf;
    this.limit = limit;
    this.packetName = packetName;
    this.limitName = "packet";
  }

  /** Drops the reference to the cumulation so it is not kept reachable between packets. */
  void clear() {
    buf = null;
  }

  String packetName() {
    return packetName;
  }

  int remaining() {
    return limit - buf.readerIndex();
  }

  /** Narrows the limit to the next {@code length} bytes; returns the old limit for {@link #pop}. */
  int push(int length, String what) {
    need(length, what);
    int old = limit;
    limit = buf.readerIndex() + length;
    limitName = what;
    return old;
  }

  void pop(int oldLimit) {
    limit = oldLimit;
    limitName = "packet";
  }

  int readByte(String what) {
    need(1, what);
    return buf.readUnsignedByte();
  }

  int readShort(String what) {
    need(2, what);
    return buf.readUnsignedShort();
  }

  long readInt(String what) {
    need(4, what);
    return buf.readUnsignedInt();
  }

  int readVariableByteInteger(String what) {
    long r;
    try {
      r = VariableByteInteger.peek(buf, buf.readerIndex(), limit, what);
    } catch (DecodeException e) {
      throw e.in(packetName);
    }
    if (r == VariableByteInteger.INCOMPLETE) {
      throw pastEnd(what);
    }
    buf.skipBytes((int) (r >>> 32));
    return (int) r;
  }

  String readString(String what) {
    int length = readLength(what);
    need(length, what);
    String s;
    try {
      s = Utf8.decode(buf, buf.readerIndex(), length, what);
    } catch (DecodeException e) {
      throw e.in(packetName);
    }
    buf.skipBytes(length);
    return s;
  }

  byte[] readBinary(String what) {
    int length = readLength(what);
    need(length, what);
    byte[] b = new byte[length];
    buf.readBytes(b);
    return b;
  }

  byte[] readRest() {
    byte[] b = new byte[remaining()];
    buf.readBytes(b);
    return b;
  }

  void expectEnd() {
    int left = remaining();
    if (left != 0) {
      throw DecodeException.malformed(
          packetName + " has " + left + " unexpected byte(s) after its last field");
    }
  }

  /** The two-byte length in front of a string or binary field called {@code what}. */
  private int readLength(String what) {
    need(2, what, " length");
    return buf.readUnsignedShort();
  }

  private void need(int n, String what) {
    need(n, what, "");
  }

  private void need(int n, String what, String suffix) {
    if (limit - buf.readerIndex() < n) {
      throw pastEnd(what + suffix);
    }
  }

  private DecodeException pastEnd(String what) {
    return DecodeException.malformed(packetName + " " + what + " runs past the end of the " + limitName);
  }
}
