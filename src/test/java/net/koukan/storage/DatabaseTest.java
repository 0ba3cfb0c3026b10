package net.koukan.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
  @TempDir Path dir;

  @Test
  void sqliteFileBelongsToOneDatabaseAtATime() {
    String url = "jdbc:sqlite:" + dir.resolve("sub/dir/k.db");
    try (Database first = Database.open(url, 2, null)) {
      assertThat(first.dialect()).isEqualTo(Database.Dialect.SQLITE);
      assertThatThrownBy(() -> Database.open(url, 2, null))
          .isInstanceOf(StorageException.class).hasMessageContaining("k.db.lock");
    }
    Database.open(url, 2, null).close(); // free again once closed
  }

  @Test
  void referenceStyleUrlsAreAccepted() {
    assertThat(Database.toJdbcUrl("sqlite:///var/k.db")).isEqualTo("jdbc:sqlite:var/k.db");
    assertThat(Database.toJdbcUrl("sqlite+pysqlite:////abs/k.db")).isEqualTo("jdbc:sqlite:/abs/k.db");
    assertThat(Database.toJdbcUrl("postgresql+psycopg://me:pw@db.example:5432/koukan"))
        .isEqualTo("jdbc:postgresql://db.example:5432/koukan?user=me&password=pw");
    assertThat(Database.toJdbcUrl("postgresql://me@/koukan?host=/run/pg"))
        .isEqualTo("jdbc:postgresql:///koukan?host=/run/pg&user=me");
    assertThat(Database.toJdbcUrl("jdbc:postgresql://h/db")).isEqualTo("jdbc:postgresql://h/db");
    assertThatThrownBy(() -> Database.toJdbcUrl("mysql://x/y")).isInstanceOf(StorageException.class);
  }
}
