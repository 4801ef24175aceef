package dev.streamfit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Routing and the shared refusals, without a server. */
class RouterTest {
  static Request req(String method, String path, String query) {
    return new Request(method, path, query, Map.of(), new byte[0], null);
  }

  static String body(Response r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void routesExactlyThenByLongestPrefixAndRefusesTheRest() throws Exception {
    Router router = new Router(" (see /docs)")
        .route("GET", "/a", r -> Json.reply(200, Map.of("at", "a")))
        .route("POST", "/a", r -> Json.reply(201, Map.of("at", "a")))
        .route("GET", "/a/*", r -> Json.reply(200, Map.of("at", "a/*")))
        .route("GET", "/a/b/*", r -> Json.reply(200, Map.of("at", "a/b/*")));
    assertThat(body(router.handle(req("GET", "/a", null)))).contains("\"a\"");
    assertThat(router.handle(req("POST", "/a", null)).status()).isEqualTo(201);
    assertThat(body(router.handle(req("GET", "/a/x", null)))).contains("a/*");
    assertThat(body(router.handle(req("GET", "/a/b/c", null)))).contains("a/b/*");
    assertThatThrownBy(() -> router.handle(req("DELETE", "/a", null))).isInstanceOfSatisfying(HttpError.class, e -> {
      assertThat(e.status()).isEqualTo(405);
      assertThat(e.toResponse().headers()).containsEntry("Allow", "GET, POST");
    });
    assertThatThrownBy(() -> router.handle(req("GET", "/nowhere", null))).isInstanceOfSatisfying(HttpError.class, e -> {
      assertThat(e.status()).isEqualTo(404);
      assertThat(e.getMessage()).isEqualTo("no such endpoint: /nowhere (see /docs)");
    });
    assertThatThrownBy(() -> router.route("GET", "/a", r -> null)).hasMessageContaining("routed twice");
  }

  @Test
  void queryValuesAreCheckedNamingTheKey() {
    assertThat(req("GET", "/", "k=5").intQuery("k", 3, 1, 10)).isEqualTo(5);
    assertThat(req("GET", "/", null).intQuery("k", 3, 1, 10)).isEqualTo(3);
    for (String q : new String[] {"k=abc", "k=0", "k=11", "k=", "k=99999999999999999999"}) {
      assertThatThrownBy(() -> req("GET", "/", q).intQuery("k", 3, 1, 10)).as(q)
          .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(400))
          .hasMessageContaining("query parameter k must be an integer in [1, 10]");
    }
    assertThatThrownBy(() -> req("GET", "/", "label=%zz").query("label")).isInstanceOf(HttpError.class)
        .hasMessageContaining("query parameter label must be URL-encoded");
  }

  @Test
  void jsonBodiesAreReadIntoRecordsOrRefusedWithTheField() {
    record Body(String name, int n) {}
    Request ok = new Request("POST", "/", null, Map.of(), "{\"name\":\"x\",\"n\":2}".getBytes(), null);
    assertThat(Json.read(ok, Body.class, "{name, n}")).isEqualTo(new Body("x", 2));
    Request extra = new Request("POST", "/", null, Map.of(), "{\"name\":\"x\",\"n\":2,\"m\":3}".getBytes(), null);
    assertThatThrownBy(() -> Json.read(extra, Body.class, "{name, n}")).hasMessageContaining("unknown field 'm'");
    Request wrong = new Request("POST", "/", null, Map.of(), "{\"name\":\"x\",\"n\":[1]}".getBytes(), null);
    assertThatThrownBy(() -> Json.read(wrong, Body.class, "{name, n}")).hasMessageContaining("field 'n'");
    Request empty = new Request("POST", "/", null, Map.of(), new byte[0], null);
    assertThatThrownBy(() -> Json.read(empty, Body.class, "{name, n}")).isInstanceOf(HttpError.class);
  }
}
