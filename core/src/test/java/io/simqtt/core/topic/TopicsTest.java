package io.simqtt.core.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicsTest {

  @ParameterizedTest(name = "{0} vs {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        // MQTT 5 section 4.7.1.2 / 4.7.1.3 examples
        "sport/tennis/player1/#|sport/tennis/player1|true",
        "sport/tennis/player1/#|sport/tennis/player1/ranking|true",
        "sport/tennis/player1/#|sport/tennis/player1/score/wimbledon|true",
        "sport/#|sport|true",
        "#|sport/tennis|true",
        "sport/tennis/#|sport/tennis|true",
        "sport/tennis/+|sport/tennis/player1|true",
        "sport/tennis/+|sport/tennis/player1/ranking|false",
        "sport/+|sport|false",
        "sport/+|sport/|true",
        "+/+|/finance|true",
        "/+|/finance|true",
        "+|/finance|false",
        "+/tennis/#|sport/tennis/player1|true",
        // 4.7.2 topics beginning with $
        "#|$SYS/monitor/Clients|false",
        "+/monitor/Clients|$SYS/monitor/Clients|false",
        "$SYS/#|$SYS/monitor/Clients|true",
        "$SYS/monitor/+|$SYS/monitor/Clients|true",
        "$SYS/#|$SYS|true",
        "+|$SYS|false",
        // empty levels and exact
        "a//b|a//b|true",
        "a/+/b|a//b|true",
        "a/b|a//b|false",
        "a/b|a/b|true",
        "a/b|a/bc|false",
        "a/bc|a/b|false",
        "a/b|A/b|false",
        "a/+|a/b/c|false",
        "a/#|a/b/c|true",
        "+/#|a|true",
        "+/+/#|a|false",
      })
  void matches(String filter, String topic, boolean expected) {
    assertEquals(expected, Topics.matches(filter, topic));
  }

  @ParameterizedTest(name = "filter {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "#|true",
        "+|true",
        "sport/#|true",
        "sport/tennis/#|true",
        "sport/+/player1|true",
        "+/+|true",
        "/+|true",
        "a//b|true",
        "/|true",
        "$SYS/#|true",
        "sport+|false",
        "sport/#/ranking|false",
        "sport/tennis#|false",
        "#/a|false",
        "a/b+/c|false",
        "a/++|false",
        "##|false",
        "$share/g/a/+|true",
        "$share/g/#|true",
        "$share//a|false",
        "$share/g|false",
        "$share/g/|false",
        "$share/g+/a|false",
        "$share/g/a#|false",
      })
  void filterValidation(String filter, boolean expected) {
    assertEquals(expected, Topics.isValidFilter(filter, 0));
  }

  @ParameterizedTest(name = "topic {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "sport/tennis|true",
        "/|true",
        "a//b|true",
        "$SYS/x|true",
        "sport/+|false",
        "sport/#|false",
        "a+b|false",
      })
  void topicValidation(String topic, boolean expected) {
    assertEquals(expected, Topics.isValidTopicName(topic, 0));
  }

  @Test
  void emptyAndControlAndLengthLimits() {
    assertFalse(Topics.isValidTopicName("", 0));
    assertFalse(Topics.isValidFilter("", 0));
    assertFalse(Topics.isValidTopicName("a\u0000b", 0));
    assertFalse(Topics.isValidTopicName("a\uD800", 0));
    assertTrue(Topics.isValidTopicName("caf\u00e9/\uD83D\uDE00", 0));
    assertTrue(Topics.isValidTopicName("x".repeat(65_535), 0));
    assertFalse(Topics.isValidTopicName("x".repeat(65_536), 0));
    // 3 bytes each in UTF-8
    assertFalse(Topics.isValidTopicName("\u20ac".repeat(21_846), 0));
  }

  @Test
  void levelLimit() {
    assertTrue(Topics.isValidTopicName("a/b/c", 3));
    assertFalse(Topics.isValidTopicName("a/b/c/d", 3));
    assertTrue(Topics.isValidFilter("a/b/#", 3));
    assertFalse(Topics.isValidFilter("a/b/c/#", 3));
    // the $share/group/ prefix does not count
    assertTrue(Topics.isValidFilter("$share/g/a/b/#", 3));
  }

  @Test
  void wildcards() {
    assertTrue(Topics.hasWildcard("a/+"));
    assertTrue(Topics.hasWildcard("#"));
    assertFalse(Topics.hasWildcard("a/b"));
  }

  @Test
  void parseShared() {
    assertNull(Topics.parseShared("a/b"));
    assertNull(Topics.parseShared("$share"));
    assertNull(Topics.parseShared("$SYS/#"));
    assertEquals(new SharedFilter("g", "a/b/#"), Topics.parseShared("$share/g/a/b/#"));
    assertEquals(new SharedFilter("g", "/a"), Topics.parseShared("$share/g//a"));
    assertEquals("$share/g/a/+", Topics.parseShared("$share/g/a/+").shareName());
    for (String bad :
        new String[] {"$share/", "$share//a", "$share/g", "$share/g/", "$share/g+/a", "$share/#/a"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Topics.parseShared(bad), bad);
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }
}
