package net.koukan.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.util.AccessPattern;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/** The few value types that YAML does not map to directly, and the @Default/@Required/@Min rules. */
final class Deserializers {
  private Deserializers() {}

  /** A number of seconds, integer or decimal, not negative. */
  static final class DurationDeserializer extends StdDeserializer<Duration> {
    private static final long serialVersionUID = 1L;

    DurationDeserializer() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.currentToken().isNumeric()) {
        throw ConfigProblem.wrongType(p, "a number of seconds");
      }
      BigDecimal seconds;
      try {
        seconds = p.getDecimalValue();
      } catch (NumberFormatException e) {
        throw ConfigProblem.invalid(p, "must be a finite number of seconds");
      }
      if (seconds.signum() < 0) {
        throw ConfigProblem.invalid(p, "must not be negative");
      }
      try {
        BigDecimal whole = seconds.setScale(0, RoundingMode.FLOOR);
        long nanos = seconds.subtract(whole).movePointRight(9).setScale(0, RoundingMode.HALF_UP).longValue();
        return Duration.ofSeconds(whole.longValueExact(), nanos);
      } catch (ArithmeticException e) {
        throw ConfigProblem.invalid(p, "is too large");
      }
    }

    @Override
    public LogicalType logicalType() {
      return LogicalType.OtherScalar;
    }
  }

  /** {@code [host, port]}. */
  static final class HostPortDeserializer extends StdDeserializer<HostPort> {
    private static final long serialVersionUID = 1L;

    HostPortDeserializer() {
      super(HostPort.class);
    }

    @Override
    public HostPort deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.isExpectedStartArrayToken()) {
        throw ConfigProblem.wrongType(p, "a list [host, port]");
      }
      JsonNode n = ctxt.readTree(p);
      if (n.size() != 2) {
        throw ConfigProblem.invalid(p, "expected a list [host, port], got " + n.size() + " element(s)");
      }
      JsonNode host = n.get(0);
      JsonNode port = n.get(1);
      if (!host.isTextual() || host.asText().isBlank()) {
        throw JsonMappingException.wrapWithPath(ConfigProblem.wrongType(p, "a host name or address"), n, 0);
      }
      if (!port.isIntegralNumber()) {
        throw JsonMappingException.wrapWithPath(ConfigProblem.wrongType(p, "a port number"), n, 1);
      }
      if (!port.canConvertToInt() || port.intValue() < 0 || port.intValue() > 65535) {
        throw JsonMappingException.wrapWithPath(
            ConfigProblem.invalid(p, "port must be between 0 and 65535, got " + port.asText()), n, 1);
      }
      return new HostPort(host.asText(), port.intValue());
    }
  }

  /**
   * {@code retry} / {@code notification} of a sender or tag: {@code output_chain} or {@code {}} enables,
   * {@code null} disables, an absent key is {@code null} (inherit, for tags).
   */
  static final class ToggleDeserializer extends StdDeserializer<Toggle> {
    private static final long serialVersionUID = 1L;
    private static final String EXPECTED = "`output_chain`, `{}` or null";

    ToggleDeserializer() {
      super(Toggle.class);
    }

    @Override
    public Toggle deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_STRING) {
        if (Toggle.OUTPUT_CHAIN.equals(p.getText())) {
          return Toggle.ENABLED;
        }
        throw ConfigProblem.invalid(p, "expected " + EXPECTED + ", got string \"" + p.getText() + "\"");
      }
      if (p.isExpectedStartObjectToken()) {
        if (ctxt.readTree(p).isEmpty()) {
          return Toggle.ENABLED;
        }
        throw ConfigProblem.invalid(p, "expected " + EXPECTED + ", got a non-empty mapping");
      }
      throw ConfigProblem.wrongType(p, EXPECTED);
    }

    @Override
    public Toggle getNullValue(DeserializationContext ctxt) {
      return Toggle.DISABLED;
    }

    @Override
    public Object getAbsentValue(DeserializationContext ctxt) {
      return null;
    }

    @Override
    public AccessPattern getNullAccessPattern() {
      return AccessPattern.CONSTANT;
    }
  }

  /** A filter stanza: kept raw, with its position, for the filter's own binder. */
  static final class FilterStanzaDeserializer extends StdDeserializer<FilterStanza> {
    private static final long serialVersionUID = 1L;

    FilterStanzaDeserializer() {
      super(FilterStanza.class);
    }

    @Override
    public FilterStanza deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      KeyPath relative = KeyPath.of(p.getParsingContext());
      if (!p.isExpectedStartObjectToken()) {
        throw ConfigProblem.wrongType(p, "a mapping with a `filter` key");
      }
      ObjectNode stanza = (ObjectNode) ctxt.readTree(p);
      JsonNode filter = stanza.get("filter");
      if (filter == null) {
        throw ConfigProblem.missingKey(p, "filter", null);
      }
      if (filter.isNull()) {
        throw JsonMappingException.wrapWithPath(ConfigProblem.invalid(p, "must not be null"), stanza, "filter");
      }
      if (!filter.isTextual()) {
        throw JsonMappingException.wrapWithPath(ConfigProblem.wrongType(p, "a filter name"), stanza, "filter");
      }
      ObjectNode options = stanza.deepCopy();
      options.remove("filter");
      Origin origin = new Origin(ConfigMapper.sourceMap(ctxt), ConfigMapper.basePath(ctxt).append(relative));
      return new FilterStanza(filter.asText(), options, origin.file(), origin.line(), origin);
    }
  }

  /** Any mapping, kept raw with its position. */
  static final class RawStanzaDeserializer extends StdDeserializer<RawStanza> {
    private static final long serialVersionUID = 1L;

    RawStanzaDeserializer() {
      super(RawStanza.class);
    }

    @Override
    public RawStanza deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      KeyPath relative = KeyPath.of(p.getParsingContext());
      if (!p.isExpectedStartObjectToken()) {
        throw ConfigProblem.wrongType(p, "a mapping");
      }
      ObjectNode node = (ObjectNode) ctxt.readTree(p);
      Origin origin = new Origin(ConfigMapper.sourceMap(ctxt), ConfigMapper.basePath(ctxt).append(relative));
      return new RawStanza(node, origin);
    }
  }

  /**
   * Wraps the normal deserializer of a record component annotated with {@link Default}, {@link Required} or
   * {@link Min}: supplies the default for an absent key, rejects null and absent required keys, checks minima.
   */
  static final class KeyRulesDeserializer extends StdDeserializer<Object> implements ContextualDeserializer {
    private static final long serialVersionUID = 1L;

    private final JsonDeserializer<Object> delegate;
    private final String key;
    private final boolean required;
    private final String defaultText;
    private final transient Object defaultValue;
    private final Long min;
    private final Class<?> owner;

    KeyRulesDeserializer() {
      this(null, null, null, null, false, null, null, null);
    }

    private KeyRulesDeserializer(JavaType type, JsonDeserializer<Object> delegate, Class<?> owner, String key,
        boolean required, String defaultText, Object defaultValue, Long min) {
      super(type == null ? Object.class : type.getRawClass());
      this.delegate = delegate;
      this.owner = owner;
      this.key = key;
      this.required = required;
      this.defaultText = defaultText;
      this.defaultValue = defaultValue;
      this.min = min;
    }

    @Override
    public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property)
        throws JsonMappingException {
      if (property == null) {
        throw new IllegalStateException("@Default/@Required/@Min apply to record components only");
      }
      JavaType type = property.getType();
      Default d = property.getAnnotation(Default.class);
      Min m = property.getAnnotation(Min.class);
      Object defaultValue = null;
      if (d != null) {
        try {
          defaultValue = ctxt.readTreeAsValue(ConfigMapper.scalar(d.value()), type);
        } catch (IOException e) {
          throw new IllegalStateException("bad @Default(\"" + d.value() + "\") on " + property.getName(), e);
        }
      }
      return new KeyRulesDeserializer(type, ctxt.findContextualValueDeserializer(type, property),
          property.getMember() == null ? null : property.getMember().getDeclaringClass(), property.getName(), property.getAnnotation(Required.class) != null,
          d == null ? null : d.value(), defaultValue, m == null ? null : m.value());
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      Object value = delegate.deserialize(p, ctxt);
      if (min != null && value instanceof Number n && n.doubleValue() < min) {
        throw ConfigProblem.invalid(p, "must be at least " + min + ", got " + n);
      }
      return value;
    }

    @Override
    public Object getNullValue(DeserializationContext ctxt) throws JsonMappingException {
      if (required) {
        throw ConfigProblem.invalid(ctxt.getParser(), "must not be null");
      }
      if (defaultText != null) {
        throw ConfigProblem.invalid(ctxt.getParser(),
            "must not be null (omit the key to use the default, " + defaultText + ")");
      }
      return delegate.getNullValue(ctxt);
    }

    @Override
    public Object getAbsentValue(DeserializationContext ctxt) throws JsonMappingException {
      if (required) {
        throw ConfigProblem.missingKey(ctxt.getParser(), key, owner);
      }
      if (defaultText != null) {
        return defaultValue;
      }
      return delegate.getAbsentValue(ctxt);
    }

    @Override
    public AccessPattern getNullAccessPattern() {
      return AccessPattern.DYNAMIC;
    }

    @Override
    public AccessPattern getEmptyAccessPattern() {
      return AccessPattern.DYNAMIC;
    }

    @Override
    public LogicalType logicalType() {
      return delegate == null ? null : delegate.logicalType();
    }
  }
}
