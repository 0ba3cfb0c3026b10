package net.koukan.config;

import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Where a node sits in the document: mapping keys ({@link String}) and list indexes ({@link Integer}). */
record KeyPath(List<Object> segments) {
  static final KeyPath ROOT = new KeyPath(List.of());

  KeyPath {
    segments = List.copyOf(segments);
  }

  KeyPath key(String key) {
    return with(key);
  }

  KeyPath index(int index) {
    return with(index);
  }

  KeyPath append(KeyPath relative) {
    if (relative.segments.isEmpty()) {
      return this;
    }
    List<Object> s = new ArrayList<>(segments);
    s.addAll(relative.segments);
    return new KeyPath(s);
  }

  boolean isRoot() {
    return segments.isEmpty();
  }

  KeyPath parent() {
    return isRoot() ? this : new KeyPath(segments.subList(0, segments.size() - 1));
  }

  /** True when the last segment is a mapping key. */
  boolean endsWithKey() {
    return !isRoot() && segments.getLast() instanceof String;
  }

  private KeyPath with(Object segment) {
    List<Object> s = new ArrayList<>(segments.size() + 1);
    s.addAll(segments);
    s.add(segment);
    return new KeyPath(s);
  }

  /** The path of the value a parser is positioned on (also right after START_OBJECT / START_ARRAY). */
  static KeyPath of(JsonStreamContext context) {
    List<Object> reversed = new ArrayList<>();
    for (JsonStreamContext c = context; c != null; c = c.getParent()) {
      if (c.inObject() && c.getCurrentName() != null) {
        reversed.add(c.getCurrentName());
      } else if (c.inArray() && c.hasCurrentIndex()) {
        reversed.add(c.getCurrentIndex());
      }
    }
    Collections.reverse(reversed);
    return new KeyPath(reversed);
  }

  /** The path recorded in a Jackson binding exception. */
  static KeyPath of(JsonMappingException e) {
    List<Object> s = new ArrayList<>();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        s.add(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        s.add(r.getIndex());
      }
    }
    return new KeyPath(s);
  }

  /** Dotted form used in messages: {@code sender[1].tag[0].output_chain}. */
  @Override
  public String toString() {
    if (isRoot()) {
      return "(root)";
    }
    StringBuilder b = new StringBuilder();
    for (Object s : segments) {
      if (s instanceof Integer i) {
        b.append('[').append(i).append(']');
      } else {
        if (!b.isEmpty()) {
          b.append('.');
        }
        b.append(s);
      }
    }
    return b.toString();
  }
}
