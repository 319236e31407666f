package io.simqtt.peer.admin;

/** Page sizes and limits of list calls: 0 means the default, larger than the maximum is refused. */
final class Limits {
  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;
  static final int DEFAULT_SUBSCRIPTIONS = 1000;
  static final int MAX_SUBSCRIPTIONS = 10_000;

  private Limits() {}

  static int pageSize(int requested) {
    return bounded("page_size", requested, DEFAULT_PAGE, MAX_PAGE);
  }

  static int subscriptionLimit(int requested) {
    return bounded("limit", requested, DEFAULT_SUBSCRIPTIONS, MAX_SUBSCRIPTIONS);
  }

  private static int bounded(String field, int requested, int dflt, int max) {
    if (requested == 0) {
      return dflt;
    }
    if (requested < 0 || requested > max) {
      throw Replies.invalid(field + " " + Integer.toUnsignedString(requested)
          + " is out of range (1.." + max + ", 0 = " + dflt + ")");
    }
    return requested;
  }
}
