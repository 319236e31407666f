package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;

/**
 * Reads MQTT data types from the cumulation buffer up to a limit (the end of the packet, or of a
 * property section), so a length field that points past it is reported instead of reading into
 * the next packet.
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
    long r = VariableByteInteger.peek(buf, buf.readerIndex(), limit, packetName + " " + what);
    if (r == VariableByteInteger.INCOMPLETE) {
      throw pastEnd(what);
    }
    buf.skipBytes((int) (r >>> 32));
    return (int) r;
  }

  String readString(String what) {
    int length = readShort(what + " length");
    need(length, what);
    String s = Utf8.decode(buf, buf.readerIndex(), length, packetName + " " + what);
    buf.skipBytes(length);
    return s;
  }

  byte[] readBinary(String what) {
    int length = readShort(what + " length");
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

  private void need(int n, String what) {
    if (limit - buf.readerIndex() < n) {
      throw pastEnd(what);
    }
  }

  private DecodeException pastEnd(String what) {
    return DecodeException.malformed(packetName + " " + what + " runs past the end of the " + limitName);
  }
}
