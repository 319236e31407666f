package io.simqtt.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.simqtt.config.MqttListenerSettings.ClientAuth;
import io.simqtt.config.MqttListenerSettings.Type;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Reads mqtt.listeners. The four listeners of reference.conf are named after their types; any
 * other name is a listener of the type it names, with the defaults of the one named after that
 * type (so reference.conf documents every key of every type once) but enabled unless it says
 * otherwise.
 */
final class ListenerBinder {

  static final String PATH = "mqtt.listeners";

  /** The old key of the one plain listener, refused with a pointer to its new place. */
  static final String MOVED_FROM = "mqtt.tcp";

  static final String MOVED_TO = "mqtt.listeners.tcp";

  private static final String NAME_PATTERN = "[a-z0-9][a-z0-9_-]{0,31}";

  private ListenerBinder() {}

  /**
   * The listeners as written, each over the defaults of its type: what the key check and the
   * binder read.
   */
  static Config withTypeDefaults(Config merged, ConfigObject reference) {
    ConfigObject refListeners = (ConfigObject) reference.toConfig().getValue(PATH);
    if (!merged.hasPath(PATH) || merged.getValue(PATH).valueType() != ConfigValueType.OBJECT) {
      return merged;
    }
    ConfigObject listeners = merged.getObject(PATH);
    Config result = merged;
    for (String name : listeners.keySet()) {
      if (refListeners.containsKey(name)) {
        continue;
      }
      ConfigValue own = listeners.get(name);
      if (own.valueType() != ConfigValueType.OBJECT) {
        continue;
      }
      ConfigValue type = ((ConfigObject) own).get("type");
      if (type == null || type.valueType() != ConfigValueType.STRING
          || !refListeners.containsKey(type.unwrapped().toString())) {
        continue; // the key check names what is wrong
      }
      ConfigObject defaults = ((ConfigObject) refListeners.get(type.unwrapped().toString()))
          .withValue("enabled", ConfigValueFactory.fromAnyRef(true,
              "listeners other than the four predefined ones are enabled by default"));
      result = result.withValue(PATH + "." + quoted(name), own.withFallback(defaults));
    }
    return result;
  }

  /**
   * The reference entry an extra listener {@code name} is checked against, or an error naming
   * what is missing.
   */
  static ConfigObject referenceFor(String name, ConfigObject listener, ConfigObject refListeners) {
    String path = PATH + "." + name;
    ConfigValue type = listener.get("type");
    if (type == null) {
      throw new SettingsException(path + ".type", path + " needs a type ("
          + String.join(" | ", new TreeSet<>(refListeners.keySet()))
          + "): only the predefined listeners tcp, tls, ws and wss have one by default"
          + Sources.suffix(listener.origin()));
    }
    ConfigValue known = type.valueType() == ConfigValueType.STRING
        ? refListeners.get(type.unwrapped().toString()) : null;
    if (known == null) {
      throw new SettingsException(path + ".type", path + ".type = " + ConfigReader.render(type)
          + " is not one of tcp | tls | ws | wss" + Sources.suffix(type.origin()));
    }
    return (ConfigObject) known;
  }

  /** The enabled listeners, the predefined ones first in type order, then the others by name. */
  static List<MqttListenerSettings> bind(ConfigReader r) {
    Config config = r.config();
    List<MqttListenerSettings> listeners = new ArrayList<>();
    for (String name : new TreeSet<>(config.getObject(PATH).keySet())) {
      String p = PATH + "." + quoted(name);
      if (!name.matches(NAME_PATTERN)) {
        throw r.conflict(p, "has a name that is not 1..32 characters from a-z 0-9 _ -"
            + " (starting with a letter or digit)");
      }
      if (!r.bool(p + ".enabled")) {
        continue;
      }
      Type type = r.oneOf(p + ".type", Type.class);
      String path = null;
      boolean forwardedFor = false;
      if (type.webSocket()) {
        path = r.matching(p + ".path", "/[\\x21-\\x7e]*", "an absolute HTTP path such as /mqtt");
        forwardedFor = r.bool(p + ".x-forwarded-for");
      }
      ClientAuth clientAuth =
          type.tls() ? r.oneOf(p + ".client-auth", ClientAuth.class) : ClientAuth.NONE;
      listeners.add(new MqttListenerSettings(name, type, r.nonEmpty(p + ".host"),
          r.intIn(p + ".port", 0, 65535), r.bool(p + ".proxy-protocol"), path, forwardedFor,
          clientAuth, SettingsBinder.connectionLimits(r, p)));
    }
    listeners.sort(Comparator.comparing((MqttListenerSettings l) -> !isPredefined(l))
        .thenComparing(l -> isPredefined(l) ? l.type().ordinal() : 0)
        .thenComparing(MqttListenerSettings::name));
    return listeners;
  }

  private static boolean isPredefined(MqttListenerSettings l) {
    return l.name().equals(l.type().word());
  }

  private static String quoted(String name) {
    return name.matches("[A-Za-z0-9_-]+") ? name : "\"" + name.replace("\"", "\\\"") + "\"";
  }

}
