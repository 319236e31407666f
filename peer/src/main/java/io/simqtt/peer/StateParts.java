package io.simqtt.peer;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a serialized value that can grow without bound (a session's state) into parts that each
 * fit a frame, and puts them together again. No frame may exceed the receiving link's inbound
 * limit, or gRPC fails the whole stream, and again on every reconnect.
 */
final class StateParts {
  /** Small against every link's inbound limit (at least 1 MiB), large enough to move quickly. */
  static final int PART_BYTES = 256 * 1024;

  private StateParts() {}

  /** The parts of {@code whole}, in order; at least one (empty for an empty value). */
  static List<ByteString> split(ByteString whole) {
    List<ByteString> parts = new ArrayList<>(whole.size() / PART_BYTES + 1);
    int at = 0;
    do {
      int end = Math.min(whole.size(), at + PART_BYTES);
      parts.add(whole.substring(at, end));
      at = end;
    } while (at < whole.size());
    return parts;
  }
}
