package io.simqtt.peer;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Cuts what can grow without bound (a session's serialized state, a route snapshot, the list of
 * owned sessions) into parts that each fit a frame. No frame may exceed the receiving link's
 * inbound limit, or gRPC fails the whole stream, and again on every reconnect.
 */
final class FrameParts {
  /** Small against every link's inbound limit (at least 1 MiB), large enough to move quickly. */
  static final int PART_BYTES = 256 * 1024;

  private FrameParts() {}

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

  /**
   * Hands {@code items} to {@code send} in parts of about {@link #PART_BYTES}, in order, with
   * whether more parts follow; at least one part (empty for no items).
   */
  static <T extends MessageLite> void inParts(List<T> items, BiConsumer<List<T>, Boolean> send) {
    List<T> part = new ArrayList<>();
    int bytes = 0;
    for (int i = 0; i < items.size(); i++) {
      T item = items.get(i);
      part.add(item);
      bytes += item.getSerializedSize();
      if (bytes >= PART_BYTES && i < items.size() - 1) {
        send.accept(part, true);
        part = new ArrayList<>();
        bytes = 0;
      }
    }
    send.accept(part, false);
  }
}
