package net.koukan.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads one YAML document into a Jackson tree while recording the line and column of every key and value.
 * Rejects what the binder could not report well: duplicate keys, aliases, several documents.
 */
final class YamlTree {
  /** {@code root} is null for an empty document. */
  record Parsed(JsonNode root, SourceMap map) {}

  private static final SourceMap.Location START = new SourceMap.Location(1, 1);

  private final String file;
  private final JsonNodeFactory nodes = JsonNodeFactory.instance;
  private final Map<KeyPath, SourceMap.Location> keys = new HashMap<>();
  private final Map<KeyPath, SourceMap.Location> values = new HashMap<>();

  private YamlTree(String file) {
    this.file = file;
  }

  static Parsed parse(String yaml, String file) {
    return new YamlTree(file).read(yaml);
  }

  private Parsed read(String yaml) {
    JsonNode root = null;
    try (JsonParser p = ConfigMapper.MAPPER.getFactory().createParser(yaml)) {
      if (p.nextToken() != null) {
        root = value(p, KeyPath.ROOT);
        if (p.nextToken() != null) {
          throw error(p, KeyPath.ROOT, "only one YAML document is supported (found a second one)");
        }
      }
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m) {
        throw syntaxError(e, m);
      }
      JsonLocation l = e.getLocation();
      KeyPath path = KeyPath.of(e.getProcessor() instanceof JsonParser jp ? jp.getParsingContext() : null);
      throw new ConfigException(file, l == null ? 1 : l.getLineNr(), l == null ? 1 : l.getColumnNr(),
          path.toString(), "malformed YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(file, 1, 1, "(root)", "cannot read: " + e, e);
    }
    return new Parsed(root, new SourceMap(file, keys, values, values.getOrDefault(KeyPath.ROOT, START)));
  }

  private JsonNode value(JsonParser p, KeyPath path) throws IOException {
    values.put(path, location(p));
    if (p instanceof YAMLParser y && y.isCurrentAlias()) {
      throw error(p, path, "YAML aliases (*" + p.getText() + ") are not supported");
    }
    JsonToken t = p.currentToken();
    return switch (t) {
      case START_OBJECT -> mapping(p, path);
      case START_ARRAY -> sequence(p, path);
      case VALUE_STRING -> nodes.textNode(p.getText());
      case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
        case INT -> nodes.numberNode(p.getIntValue());
        case LONG -> nodes.numberNode(p.getLongValue());
        default -> nodes.numberNode(p.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> nodes.numberNode(p.getDoubleValue());
      case VALUE_TRUE -> nodes.booleanNode(true);
      case VALUE_FALSE -> nodes.booleanNode(false);
      case VALUE_NULL -> nodes.nullNode();
      default -> throw error(p, path, "unsupported YAML value (" + t + ")");
    };
  }

  private ObjectNode mapping(JsonParser p, KeyPath path) throws IOException {
    ObjectNode o = nodes.objectNode();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      KeyPath child = path.key(name);
      SourceMap.Location l = location(p);
      SourceMap.Location first = keys.putIfAbsent(child, l);
      if (first != null) {
        keys.put(child, l);
        throw error(p, child, "duplicate key (first defined at line " + first.line() + ")");
      }
      p.nextToken();
      o.set(name, value(p, child));
    }
    return o;
  }

  private ArrayNode sequence(JsonParser p, KeyPath path) throws IOException {
    ArrayNode a = nodes.arrayNode();
    int i = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      a.add(value(p, path.index(i++)));
    }
    return a;
  }

  private static SourceMap.Location location(JsonParser p) {
    JsonLocation l = p.currentTokenLocation();
    return new SourceMap.Location(l.getLineNr(), l.getColumnNr());
  }

  private ConfigException error(JsonParser p, KeyPath path, String problem) {
    SourceMap.Location l = location(p);
    return new ConfigException(file, l.line(), l.column(), path.toString(), problem);
  }

  private ConfigException syntaxError(JsonProcessingException e, org.yaml.snakeyaml.error.MarkedYAMLException m) {
    JsonLocation l = e.getLocation();
    int line = l == null ? 1 : l.getLineNr();
    int column = l == null ? 1 : l.getColumnNr();
    if (m.getProblemMark() != null) {
      line = m.getProblemMark().getLine() + 1;
      column = m.getProblemMark().getColumn() + 1;
    }
    String problem = m.getProblem() == null ? e.getOriginalMessage() : m.getProblem();
    if (m.getContext() != null && m.getContextMark() != null) {
      problem += " (" + m.getContext() + " at line " + (m.getContextMark().getLine() + 1) + ")";
    }
    KeyPath path = KeyPath.of(e.getProcessor() instanceof JsonParser jp ? jp.getParsingContext() : null);
    return new ConfigException(file, line, column, path.toString(), "malformed YAML: " + problem, e);
  }
}
