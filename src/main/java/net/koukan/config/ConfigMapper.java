package net.koukan.config;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.MutableCoercionConfig;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The one ObjectMapper of the configuration, and the translation of its errors into {@link ConfigException}s
 * carrying file, line, column and key path.
 *
 * <p>Strict rules: unknown keys fail; no coercion between scalar kinds (a quoted "8000" is not an int, 8000 is not
 * a string, 1.5 is not an int); YAML 1.2 booleans only ({@code yes}/{@code on} are strings); null list elements and
 * map values fail; {@link Default}, {@link Required} and {@link Min} on record components.
 */
final class ConfigMapper {
  private ConfigMapper() {}

  private static final PropertyNamingStrategies.NamingBase NAMING =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

  static final ObjectMapper MAPPER = build();

  private static ObjectMapper build() {
    YAMLFactory yaml = YAMLFactory.builder()
        .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
        .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
        .build();
    SimpleModule module = new SimpleModule("koukan-config");
    module.addDeserializer(Duration.class, new Deserializers.DurationDeserializer());
    module.addDeserializer(HostPort.class, new Deserializers.HostPortDeserializer());
    module.addDeserializer(Toggle.class, new Deserializers.ToggleDeserializer());
    module.addDeserializer(FilterStanza.class, new Deserializers.FilterStanzaDeserializer());
    module.addDeserializer(RawStanza.class, new Deserializers.RawStanzaDeserializer());
    YAMLMapper mapper = YAMLMapper.builder(yaml)
        .propertyNamingStrategy(NAMING)
        .annotationIntrospector(new KeyRulesIntrospector())
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        .defaultSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL))
        .addModule(module)
        .build();
    // No coercion between scalar kinds, except that an integer is a valid decimal.
    accept(mapper, LogicalType.Textual, CoercionInputShape.String, CoercionInputShape.EmptyString);
    accept(mapper, LogicalType.Integer, CoercionInputShape.Integer);
    accept(mapper, LogicalType.Float, CoercionInputShape.Integer, CoercionInputShape.Float);
    accept(mapper, LogicalType.Boolean, CoercionInputShape.Boolean);
    return mapper;
  }

  private static void accept(ObjectMapper mapper, LogicalType target, CoercionInputShape... accepted) {
    List<CoercionInputShape> ok = List.of(accepted);
    MutableCoercionConfig config = mapper.coercionConfigFor(target);
    for (CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float,
        CoercionInputShape.Boolean, CoercionInputShape.String, CoercionInputShape.EmptyString)) {
      config.setCoercion(shape, ok.contains(shape) ? CoercionAction.TryConvert : CoercionAction.Fail);
    }
  }

  /** Routes @Default/@Required/@Min record components through {@link Deserializers.KeyRulesDeserializer}. */
  private static final class KeyRulesIntrospector extends JacksonAnnotationIntrospector {
    private static final long serialVersionUID = 1L;

    @Override
    public Object findDeserializer(Annotated a) {
      if (a.hasAnnotation(Default.class) || a.hasAnnotation(Required.class) || a.hasAnnotation(Min.class)) {
        return Deserializers.KeyRulesDeserializer.class;
      }
      return super.findDeserializer(a);
    }
  }

  /** The snake_case key for a record component name. */
  static String key(String componentName) {
    return NAMING.translate(componentName);
  }

  /** Binds {@code node} (found at {@code base} in the document described by {@code map}) to {@code type}. */
  static <T> T bind(JsonNode node, SourceMap map, KeyPath base, Class<T> type) {
    try {
      return MAPPER.readerFor(type)
          .withAttribute(SourceMap.class, map)
          .withAttribute(KeyPath.class, base)
          .readValue(node);
    } catch (JsonMappingException e) {
      throw translate(e, node, map, base);
    } catch (IOException e) {
      throw map.error(base, base, e.getMessage(), e);
    }
  }

  /** An instance of a config record with every key absent (all defaults). */
  static <T> T defaults(Class<T> type) {
    return bind(MAPPER.createObjectNode(), SourceMap.empty("(defaults)", new SourceMap.Location(1, 1)),
        KeyPath.ROOT, type);
  }

  static SourceMap sourceMap(DeserializationContext ctxt) {
    Object m = ctxt.getAttribute(SourceMap.class);
    return m instanceof SourceMap s ? s : SourceMap.empty("(unknown)", new SourceMap.Location(1, 1));
  }

  static KeyPath basePath(DeserializationContext ctxt) {
    Object p = ctxt.getAttribute(KeyPath.class);
    return p instanceof KeyPath k ? k : KeyPath.ROOT;
  }

  /** A YAML-like scalar for @Default values: integer, decimal, true/false, else string. */
  static JsonNode scalar(String text) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (text.equals("true") || text.equals("false")) {
      return f.booleanNode(Boolean.parseBoolean(text));
    }
    try {
      return f.numberNode(Long.parseLong(text));
    } catch (NumberFormatException e) {
      // not an integer
    }
    if (text.matches("[-+]?[0-9]*\\.[0-9]+([eE][-+]?[0-9]+)?")) {
      return f.numberNode(Double.parseDouble(text));
    }
    return f.textNode(text);
  }

  private static ConfigException translate(JsonMappingException e, JsonNode root, SourceMap map, KeyPath base) {
    KeyPath relative = KeyPath.of(e);
    KeyPath path = base.append(relative);
    JsonNode found = nodeAt(root, relative);
    String problem;
    if (e instanceof ConfigProblem p) {
      if (p.kind == ConfigProblem.Kind.MISSING_KEY) {
        // Jackson reports a missing creator property under its own name; the mapping that lacks it is the parent.
        boolean named = path.endsWithKey() && path.segments().getLast().equals(p.detail);
        KeyPath missing = named ? path : path.key(p.detail);
        KeyPath container = missing.parent();
        // Jackson checks missing keys before unknown ones; a misspelt required key is better reported as unknown.
        JsonNode containerNode = nodeAt(root, named ? relative.parent() : relative);
        String unknown = firstUnknownKey(containerNode, p.record);
        if (unknown != null) {
          return map.error(container.key(unknown), container.key(unknown),
              "unknown key (expected one of: " + knownKeys(p.record) + ")", e);
        }
        // Reported under the missing key's name, at the position of the mapping that lacks it.
        return map.error(container, missing, "missing required key", e);
      }
      problem = p.kind == ConfigProblem.Kind.WRONG_TYPE ? "expected " + p.detail + ", got " + describe(found) : p.detail;
    } else if (e instanceof UnrecognizedPropertyException u) {
      problem = "unknown key (expected one of: " + knownKeys(u) + ")";
    } else if (e instanceof InvalidNullException) {
      problem = "must not be null";
    } else if (e instanceof ValueInstantiationException && e.getCause() != null
        && e.getCause().getMessage() != null) {
      // A record's compact constructor rejected the values.
      problem = e.getCause().getMessage();
    } else if (e.getCause() instanceof InputCoercionException c) {
      problem = "expected " + describe(c.getTargetType()) + ", got " + describe(found) + " (out of range)";
    } else if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      problem = "expected " + describe(m.getTargetType()) + ", got " + describe(found);
    } else {
      problem = firstLine(e.getOriginalMessage());
    }
    return map.error(path, path, problem, e);
  }

  private static String knownKeys(Class<?> record) {
    return Arrays.stream(record.getRecordComponents()).map(rc -> key(rc.getName())).collect(Collectors.joining(", "));
  }

  private static String firstUnknownKey(JsonNode mapping, Class<?> record) {
    if (mapping == null || !mapping.isObject() || record == null || !record.isRecord()) {
      return null;
    }
    Set<String> known = Arrays.stream(record.getRecordComponents()).map(rc -> key(rc.getName()))
        .collect(Collectors.toSet());
    for (var it = mapping.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        return name;
      }
    }
    return null;
  }

  private static String knownKeys(UnrecognizedPropertyException u) {
    Class<?> c = u.getReferringClass();
    if (c != null && c.isRecord()) {
      return knownKeys(c);
    }
    Collection<Object> ids = u.getKnownPropertyIds();
    return ids == null ? "" : ids.stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
  }

  private static JsonNode nodeAt(JsonNode root, KeyPath relative) {
    JsonNode n = root;
    for (Object s : relative.segments()) {
      if (n == null) {
        return null;
      }
      n = s instanceof Integer i ? n.get(i) : n.get((String) s);
    }
    return n;
  }

  /** What a value in the file is, for "expected X, got Y". */
  static String describe(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    if (n.isNull()) {
      return "null";
    }
    if (n.isTextual()) {
      String s = n.asText();
      return "string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
    }
    if (n.isIntegralNumber()) {
      return "integer " + n.asText();
    }
    if (n.isNumber()) {
      return "number " + n.asText();
    }
    if (n.isBoolean()) {
      return "boolean " + n.asText();
    }
    if (n.isArray()) {
      return "a list";
    }
    if (n.isObject()) {
      return "a mapping";
    }
    return n.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  /** What a Java type expects, for "expected X, got Y". */
  static String describe(Class<?> c) {
    if (c == null) {
      return "another kind of value";
    }
    if (c == boolean.class || c == Boolean.class) {
      return "a boolean (true or false)";
    }
    if (c == int.class || c == Integer.class || c == long.class || c == Long.class || c == short.class
        || c == Short.class || c == java.math.BigInteger.class) {
      return "an integer";
    }
    if (c == double.class || c == Double.class || c == float.class || c == Float.class
        || c == java.math.BigDecimal.class) {
      return "a number";
    }
    if (c == String.class) {
      return "a string";
    }
    if (c == Duration.class) {
      return "a number of seconds";
    }
    if (Collection.class.isAssignableFrom(c) || c.isArray()) {
      return "a list";
    }
    if (Map.class.isAssignableFrom(c) || c.isRecord() || com.fasterxml.jackson.databind.node.ObjectNode.class == c) {
      return "a mapping";
    }
    return "a " + c.getSimpleName();
  }

  static String describe(JavaType t) {
    return describe(t == null ? null : t.getRawClass());
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "invalid value";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
