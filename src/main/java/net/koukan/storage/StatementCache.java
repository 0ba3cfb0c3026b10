package net.koukan.storage;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prepared statements kept per SQLite connection. sqlite-jdbc has no statement cache and the
 * pool adds none, so every {@code prepareStatement} compiled its SQL anew (a quarter of the
 * relay path's CPU). {@link #wrap} hands {@link Database.Work} a connection whose
 * {@code prepareStatement(String)} returns a statement compiled once per pooled connection;
 * closing it only clears its parameters. A statement still open (the same SQL used twice at
 * once) is prepared afresh and really closed.
 */
final class StatementCache {
  /** Distinct SQL texts kept per connection; beyond that, statements are not cached. */
  static final int MAX_PER_CONNECTION = 256;

  private static final class Slot {
    final PreparedStatement ps;
    boolean inUse;

    Slot(PreparedStatement ps) {
      this.ps = ps;
    }
  }

  /** Raw (unpooled) connection → its statements. A pooled connection is used by one thread at a time. */
  private final Map<Connection, Map<String, Slot>> byConnection = new ConcurrentHashMap<>();

  /** The connection {@code pooled} as Work sees it: same object, statements cached. */
  Connection wrap(Connection pooled) throws SQLException {
    Connection raw = pooled.unwrap(Connection.class);
    if (raw == pooled) {
      return pooled;
    }
    InvocationHandler h = (proxy, m, args) -> {
      if (m.getName().equals("prepareStatement") && args != null && args.length == 1
          && args[0] instanceof String sql) {
        return prepare(raw, sql);
      }
      return invoke(pooled, m, args);
    };
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
        new Class<?>[] {Connection.class}, h);
  }

  private PreparedStatement prepare(Connection raw, String sql) throws SQLException {
    Map<String, Slot> slots = byConnection.computeIfAbsent(raw, k -> new HashMap<>());
    Slot slot = slots.get(sql);
    if (slot != null && slot.ps.isClosed()) {
      // the driver closed it (connection replaced): start this connection's cache over
      slots.clear();
      byConnection.remove(raw);
      slots = byConnection.computeIfAbsent(raw, k -> new HashMap<>());
      slot = null;
    }
    if (slot == null) {
      if (slots.size() >= MAX_PER_CONNECTION) {
        return raw.prepareStatement(sql);
      }
      slot = new Slot(raw.prepareStatement(sql));
      slots.put(sql, slot);
    } else if (slot.inUse) {
      return raw.prepareStatement(sql);
    }
    slot.inUse = true;
    return lease(slot);
  }

  private static PreparedStatement lease(Slot slot) {
    PreparedStatement ps = slot.ps;
    boolean[] closed = {false};
    ResultSet[] results = {null};
    InvocationHandler h = (proxy, m, args) -> {
      switch (m.getName()) {
        case "close" -> {
          if (!closed[0]) {
            closed[0] = true;
            try {
              // a result set left open would keep SQLite's read transaction (and its snapshot)
              // open on this connection: closing it resets the statement
              if (results[0] != null) {
                results[0].close();
              }
              ps.clearParameters();
              ps.clearBatch();
            } finally {
              slot.inUse = false;
            }
          }
          return null;
        }
        case "executeQuery", "getResultSet" -> {
          if (closed[0]) {
            throw new SQLException("statement is closed");
          }
          Object rs = invoke(ps, m, args);
          if (rs instanceof ResultSet r) {
            results[0] = r;
          }
          return rs;
        }
        case "isClosed" -> {
          return closed[0] || ps.isClosed();
        }
        default -> {
          if (closed[0]) {
            throw new SQLException("statement is closed");
          }
          return invoke(ps, m, args);
        }
      }
    };
    return (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
        new Class<?>[] {PreparedStatement.class}, h);
  }

  /** Forgets every statement (they close with their connections). */
  void clear() {
    byConnection.clear();
  }

  private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
