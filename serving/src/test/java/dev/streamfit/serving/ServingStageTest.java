package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.state;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Real broker, real DL4J models, real HTTP server: recovery, verification, rollback, auth, admission. */
@ExtendWith(KafkaBrokerExtension.class)
class ServingStageTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static ServingConfig config(KafkaBroker broker, Topics topics) {
    return ServingConfig.defaults(broker.bootstrapServers(), topics, 0).withTopicInference(false);
  }

  @Test
  void recoversTheChampionFromTheTopicAloneAndNeverServesABrokenVersion(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("recover-", 1, (short) 1);
    dev.streamfit.common.kafka.TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    byte[] good = Fixtures.good(1);
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(0)));
      publish(p, topics, version(2, good));
      publish(p, topics, version(3, Fixtures.nanWeights())); // newest, but broken
      publish(p, topics, version("other-model", 9, good, Hashes.sha256Hex(good), Fixtures.LABELS));
    }
    try (ServingStage s = ServingStage.start(config(broker, topics).withModelName("clothing"))) {
      await("a version active", () -> s.active() != null);
      assertThat(s.active().version()).isEqualTo(2);
      assertThat(state(s, 3).status()).isEqualTo(ModelStatus.REJECTED);
      assertThat(state(s, 3).reason()).startsWith("non_finite_weights");
      assertThat(state(s, 1).status()).isEqualTo(ModelStatus.AVAILABLE);
      assertThat(state(s, 9)).as("another model's version").isNull();
      Fixtures.Client c = new Fixtures.Client(s.port());
      HttpResponse<String> r = c.post("/v1/predict", TestImages.sampleJpeg("test", "shoes"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(r.body()).get("modelVersion").asLong()).isEqualTo(2);
      assertThat(r.headers().firstValue("X-Model-Version")).contains("2");

      JsonNode models = JSON.readTree(c.get("/v1/models").body());
      assertThat(models.get("activeVersion").asLong()).isEqualTo(2);
      assertThat(models.get("versions")).hasSize(3);
      assertThat(models.get("active").get("provenance").get("samplesTrained").asLong()).isEqualTo(32);
      assertThat(models.get("active").get("provenance").get("parentVersion").asLong()).isEqualTo(1);
      assertThat(c.get("/v1/models/3").body()).contains("\"status\":\"rejected\"").contains("non_finite_weights");
      assertThat(c.get("/v1/models/77").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void adminRollbackActivatesAnOlderVersionAndNewerVersionsStillArrive(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("rollback-", 1, (short) 1);
    try (ServingStage s = ServingStage.start(config(broker, topics).withAdminLoopback(true));
        KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      Fixtures.Client c = new Fixtures.Client(s.port());
      assertThat(c.get("/readyz").statusCode()).isEqualTo(503);
      assertThat(c.post("/v1/predict", TestImages.sampleJpeg("test", "hat")).statusCode()).isEqualTo(503);
      publish(p, topics, version(1, Fixtures.good(1)));
      publish(p, topics, version(2, Fixtures.good(2)));
      await("v2 active", () -> s.active() != null && s.active().version() == 2);
      assertThat(c.get("/readyz").body()).contains("\"modelVersion\":2");

      HttpResponse<String> r = c.post("/v1/models/1:activate", new byte[0]);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(s.active().version()).isEqualTo(1);
      assertThat(state(s, 2).status()).isEqualTo(ModelStatus.RETIRED);
      assertThat(JSON.readTree(c.post("/v1/predict", TestImages.sampleJpeg("test", "hat")).body())
          .get("modelVersion").asLong()).isEqualTo(1);
      assertThat(c.post("/v1/models/42:activate", new byte[0]).statusCode()).isEqualTo(404);
      assertThat(c.get("/v1/models/1:activate").statusCode()).isEqualTo(405);

      // A broken version is refused on activation too, and the active one stays.
      publish(p, topics, version(3, Fixtures.truncated()));
      await("v3 rejected", () -> state(s, 3) != null && state(s, 3).status() == ModelStatus.REJECTED);
      assertThat(state(s, 3).reason()).startsWith("load_failed");
      HttpResponse<String> refused = c.post("/v1/models/3:activate", new byte[0]);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
      assertThat(refused.body()).contains("load_failed");
      assertThat(s.active().version()).isEqualTo(1);

      // Versions move forward again with the next new one.
      publish(p, topics, version(4, Fixtures.good(4)));
      await("v4 active", () -> s.active().version() == 4);
    }
  }

  @Test
  void tokensGuardTheApiAndSaturationAnswers429(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("auth-", 1, (short) 1);
    ServingConfig cfg = config(broker, topics).withTokens("api-secret-1", "admin-secret-1")
        .withBatching(1, Duration.ZERO, 1);
    try (ServingStage s = ServingStage.start(cfg);
        KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
      await("v1 active", () -> s.active() != null);
      Fixtures.Client anon = new Fixtures.Client(s.port());
      byte[] jpeg = TestImages.sampleJpeg("test", "pants");
      HttpResponse<String> denied = anon.post("/v1/predict", jpeg);
      assertThat(denied.statusCode()).isEqualTo(401);
      assertThat(denied.body()).contains("\"error\":\"unauthorized\"");
      assertThat(anon.get("/v1/models").statusCode()).isEqualTo(401);
      assertThat(anon.get("/healthz").statusCode()).isEqualTo(200);
      assertThat(anon.get("/readyz").statusCode()).isEqualTo(200);
      assertThat(anon.get("/").statusCode()).isEqualTo(200);
      Fixtures.Client wrong = new Fixtures.Client(s.port());
      wrong.token = "api-secret-2";
      assertThat(wrong.post("/v1/predict", jpeg).statusCode()).isEqualTo(401);
      Fixtures.Client user = new Fixtures.Client(s.port());
      user.token = "api-secret-1";
      assertThat(user.post("/v1/predict", jpeg).statusCode()).isEqualTo(200);

      // With an admin token set, a loopback client is no admin (a reverse proxy on this host makes every client one).
      HttpResponse<String> notAdmin = user.post("/v1/models/1:activate", new byte[0]);
      assertThat(notAdmin.statusCode()).as(notAdmin.body()).isEqualTo(403);
      assertThat(notAdmin.body()).contains("admin token");
      Fixtures.Client admin = new Fixtures.Client(s.port());
      admin.token = "admin-secret-1";
      assertThat(admin.post("/v1/models/1:activate", new byte[0]).statusCode()).isEqualTo(200);
      assertThat(user.post("/v1/models:activate", new byte[0]).statusCode()).isEqualTo(404);
      assertThat(user.post("/v1/models/:activate", new byte[0]).statusCode()).isEqualTo(404);

      // One prediction admitted at a time: concurrent clients get 429 with Retry-After, never 5xx.
      ExecutorService pool = Executors.newFixedThreadPool(12);
      try {
        List<Future<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
          fs.add(pool.submit(() -> user.post("/v1/predict", jpeg)));
        }
        int ok = 0;
        int busy = 0;
        for (Future<HttpResponse<String>> f : fs) {
          HttpResponse<String> r = f.get();
          if (r.statusCode() == 200) {
            ok++;
          } else {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            assertThat(r.body()).contains("\"error\":\"overloaded\"");
            assertThat(r.headers().firstValue("Retry-After")).contains("1");
            busy++;
          }
        }
        assertThat(ok).isPositive();
        assertThat(busy).isPositive();
      } finally {
        pool.shutdownNow();
      }
      String metrics = anon.get("/metrics").body();
      assertThat(metrics).contains("streamfit_serving_rejections_total{reason=\"overloaded\",source=\"http\"}")
          .contains("streamfit_serving_request_seconds_bucket").contains("streamfit_serving_model_version 1.0")
          .contains("streamfit_serving_model_swaps_total 1.0");
      assertThat(dev.streamfit.testkit.Promtool.check(metrics)).as("promtool check metrics").isEmpty();
    }
  }

  @Test
  void theOpenApiDocumentListsEveryRouteServed(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("openapi-", 1, (short) 1);
    try (ServingStage s = ServingStage.start(config(broker, topics).withModelName("clothing"));
        KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
      await("v1 active", () -> s.active() != null);
      Fixtures.Client c = new Fixtures.Client(s.port());
      JsonNode doc = JSON.readTree(c.get("/openapi.json").body());
      assertThat(doc.get("openapi").asText()).startsWith("3.");
      List<String> described = new ArrayList<>();
      for (Iterator<String> it = doc.get("paths").fieldNames(); it.hasNext(); ) {
        String path = it.next();
        doc.get("paths").get(path).fieldNames().forEachRemaining(m -> described.add(m.toUpperCase(Locale.ROOT) + " " + path));
      }
      assertThat(described).contains("POST /v1/predict", "POST /v1/predict:batch", "GET /v1/models",
          "GET /v1/models/{versionOrName}", "GET /v1/models/{name}/{version}", "POST /v1/models/{name}/{version}:activate",
          "POST /v1/models/{version}:activate", "POST /v1/models/{version}:promote", "POST /v1/models/{version}:abort",
          "POST /v1/models/{version}:pin", "POST /v1/models/{version}:unpin", "POST /v1/feedback", "GET /v1/training",
          "GET /v1/predictions/recent", "GET /healthz", "GET /readyz", "GET /metrics", "GET /index.html", "GET /v2",
          "GET /v2/health/live", "GET /v2/health/ready", "GET /v2/models/{name}", "GET /v2/models/{name}/versions/{version}",
          "GET /v2/models/{name}/ready", "GET /v2/models/{name}/versions/{version}/ready", "POST /v2/models/{name}/infer",
          "POST /v2/models/{name}/versions/{version}/infer");
      // Every route served is described: exact routes by their path, prefix routes by at least one path under them.
      for (String route : s.routes()) {
        String[] mp = route.split(" ", 2);
        if (mp[1].endsWith("*")) {
          String prefix = mp[1].substring(0, mp[1].length() - 1);
          assertThat(described).as(route).anyMatch(d -> d.startsWith(mp[0] + " " + prefix));
        } else {
          assertThat(described).as(route).contains(route);
        }
      }
      // Every route described is served: no 404 not_found, no 405, no 500 (the admin verbs answer 403 here).
      for (String route : described) {
        String[] mp = route.split(" ", 2);
        String concrete = mp[1].replace("{versionOrName}", "clothing").replace("{version}", "1").replace("{name}", "clothing");
        HttpResponse<String> r = mp[0].equals("GET") ? c.get(concrete) : c.post(concrete, new byte[0]);
        assertThat(r.statusCode()).as(route).isNotIn(404, 405, 500);
        assertThat(r.body()).as(route).doesNotContain("\"not_found\"");
      }
      assertThat(c.get("/v1/models/1").statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(c.get("/v1/models/clothing").body()).get("activeVersion").asLong()).isEqualTo(1);
    }
  }

  @Test
  void twoModelsWithTheirOwnLabelSetsAreServedFromOneBroker(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("two-models-", 1, (short) 1);
    try (ServingStage birds = ServingStage.start(config(broker, topics).withModelName("birds"));
        ServingStage tools = ServingStage.start(config(broker, topics).withModelName("tools"));
        KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publishBirdsAndTools(p, topics);
      await("both active", () -> birds.active() != null && tools.active() != null);
      byte[] image = TestImages.sampleJpeg("test", "hat");
      JsonNode fromBirds = JSON.readTree(new Fixtures.Client(birds.port()).post("/v1/predict?k=3", image).body());
      JsonNode fromTools = JSON.readTree(new Fixtures.Client(tools.port()).post("/v1/predict?k=3", image).body());
      assertThat(fromBirds.get("model").asText()).isEqualTo("birds");
      assertThat(fromTools.get("model").asText()).isEqualTo("tools");
      List<String> birdLabels = new ArrayList<>();
      fromBirds.get("predictions").forEach(n -> birdLabels.add(n.get("label").asText()));
      List<String> toolLabels = new ArrayList<>();
      fromTools.get("predictions").forEach(n -> toolLabels.add(n.get("label").asText()));
      assertThat(birdLabels).containsExactlyInAnyOrder("crow", "owl", "wren");
      assertThat(toolLabels).containsExactlyInAnyOrder("hammer", "saw", "wrench");
    }
  }

  @Test
  void oneServingInstanceRoutesSeveralModelsByName(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("routed-", 1, (short) 1);
    try (ServingStage serving = ServingStage.start(config(broker, topics).withModelName("birds")
        .withMoreModels(List.of("tools")));
        KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publishBirdsAndTools(p, topics);
      await("both active", () -> serving.active() != null && serving.active("tools") != null);
      byte[] image = TestImages.sampleJpeg("test", "hat");
      Fixtures.Client c = new Fixtures.Client(serving.port());
      assertThat(labels(JSON.readTree(c.post("/v1/predict?k=3", image).body()), "birds"))
          .containsExactlyInAnyOrder("crow", "owl", "wren");
      assertThat(labels(JSON.readTree(c.post("/v1/models/birds/predict?k=3", image).body()), "birds"))
          .containsExactlyInAnyOrder("crow", "owl", "wren");
      assertThat(labels(JSON.readTree(c.post("/v1/models/tools/predict?k=3", image).body()), "tools"))
          .containsExactlyInAnyOrder("hammer", "saw", "wrench");
      JsonNode batch = JSON.readTree(c.postMultipart("/v1/models/tools/predict:batch?k=1", List.of(image)).body());
      assertThat(batch.get("model").asText()).isEqualTo("tools");
      assertThat(batch.get("results").get(0).get("predictions").get(0).get("label").asText()).isIn("hammer", "saw", "wrench");
      var unknown = c.post("/v1/models/fish/predict", image);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(JSON.readTree(unknown.body()).get("error").asText()).isEqualTo("unknown_model");
      assertThat(unknown.body()).contains("birds", "tools");
      assertThat(c.get("/v1/models/tools/predict").statusCode()).isEqualTo(405);
      JsonNode models = JSON.readTree(c.get("/v1/models").body());
      assertThat(models.get("served").toString()).isEqualTo("[\"birds\",\"tools\"]");
      // Versions, provenance and rollback of a further model under its name; the default's stay where they were.
      JsonNode tools = JSON.readTree(c.get("/v1/models/tools").body());
      assertThat(tools.get("model").asText()).isEqualTo("tools");
      assertThat(tools.get("activeVersion").asLong()).isEqualTo(1);
      assertThat(JSON.readTree(c.get("/v1/models/tools/1").body()).get("labels").toString()).contains("hammer");
      assertThat(JSON.readTree(c.get("/v1/models/1").body()).get("labels").toString()).contains("crow");
      assertThat(c.post("/v1/models/tools/1:activate", new byte[0]).statusCode()).as("admin only").isEqualTo(403);
      assertThat(c.get("/v1/models/tools/9").statusCode()).isEqualTo(404);
      String scrape = c.get("/metrics").body();
      assertThat(scrape).contains("streamfit_serving_model_version{model=\"tools\"} 1.0")
          .containsPattern("(?m)^streamfit_serving_model_version 1\\.0$");
      assertThat(dev.streamfit.testkit.Promtool.check(scrape)).as("promtool check metrics").isEmpty();
    }
    assertThatThrownBy(() -> config(broker, topics("x-")).withMoreModels(List.of("tools")))
        .hasMessageContaining("needs serving.model-name");
    assertThatThrownBy(() -> config(broker, topics("x-")).withModelName("birds").withMoreModels(List.of("birds")))
        .hasMessageContaining("other than the default");
    assertThatThrownBy(() -> config(broker, topics("x-")).withModelName("birds").withMoreModels(List.of("42")))
        .hasMessageContaining("not a number");
  }

  /** Version 1 of "birds" (crow, owl, wren) and of "tools" (hammer, saw, wrench). */
  private static void publishBirdsAndTools(KafkaProducer<String, byte[]> p, Topics topics) throws Exception {
    byte[] a = Fixtures.good(1);
    byte[] b = Fixtures.good(2);
    publish(p, topics, Fixtures.version("birds", 1, a, Hashes.sha256Hex(a), List.of("crow", "owl", "wren")));
    publish(p, topics, Fixtures.version("tools", 1, b, Hashes.sha256Hex(b), List.of("hammer", "saw", "wrench")));
  }

  private static Topics topics(String prefix) {
    return new Topics(prefix, 1, (short) 1);
  }

  private static List<String> labels(JsonNode answer, String model) {
    assertThat(answer.get("model").asText()).isEqualTo(model);
    List<String> out = new ArrayList<>();
    answer.get("predictions").forEach(n -> out.add(n.get("label").asText()));
    return out;
  }

  @Test
  void explainReturnsAHeatMapAndAnOverlayPerTopClass(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("explain-", 1, (short) 1);
    dev.streamfit.common.kafka.TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(0)));
    }
    try (ServingStage s = ServingStage.start(config(broker, topics))) {
      await("v1 active", () -> s.active() != null);
      Fixtures.Client c = new Fixtures.Client(s.port());
      byte[] jpeg = TestImages.sampleJpeg("test", "shoes");
      JsonNode plain = JSON.readTree(c.post("/v1/predict?k=2", jpeg).body());
      assertThat(plain.has("explanations")).isFalse();
      HttpResponse<String> r = c.post("/v1/predict?k=2&explain=true", jpeg);
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode body = JSON.readTree(r.body());
      JsonNode ex = body.get("explanations");
      assertThat(ex).hasSize(2);
      for (int i = 0; i < 2; i++) {
        JsonNode e = ex.get(i);
        assertThat(e.get("label").asText()).isEqualTo(body.get("predictions").get(i).get("label").asText());
        assertThat(e.get("rows").asInt()).isEqualTo(7);
        assertThat(e.get("cols").asInt()).isEqualTo(7);
        assertThat(e.get("map")).hasSize(49);
        double max = 0;
        for (JsonNode v : e.get("map")) {
          assertThat(v.asDouble()).isBetween(0.0, 1.0);
          max = Math.max(max, v.asDouble());
        }
        assertThat(max).isIn(0.0, 1.0);
        byte[] png = java.util.Base64.getDecoder().decode(e.get("overlayPng").asText());
        assertThat(java.util.Arrays.copyOf(png, 8)).containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.wrap(png, 16, 8);
        assertThat(ihdr.getInt()).as("width").isEqualTo(224);
        assertThat(ihdr.getInt()).as("height").isEqualTo(224);
      }
      HttpResponse<String> bad = c.post("/v1/predict?explain=maybe", jpeg);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("explain");
      assertThat(c.post("/v1/predict?layer=x", jpeg).statusCode()).as("layer without explain").isEqualTo(400);

      // Feature maps of a chosen layer: an unknown one is refused with the layers there are; a real one answers.
      HttpResponse<String> unknown = c.post("/v1/predict?explain=true&layer=no-such-layer", jpeg);
      assertThat(unknown.statusCode()).isEqualTo(400);
      String message = JSON.readTree(unknown.body()).get("message").asText();
      assertThat(message).contains("convolutional layers: ");
      List<String> layers = List.of(message.substring(message.indexOf("convolutional layers: ") + 22).replace(")", "")
          .split(", "));
      String layer = layers.get(Math.min(3, layers.size() - 1));
      JsonNode fm = JSON.readTree(c.post("/v1/predict?explain=true&layer=" + layer, jpeg).body()).get("featureMaps");
      assertThat(fm.get("layer").asText()).isEqualTo(layer);
      assertThat(fm.get("pngs").size()).isEqualTo(Math.min(16, fm.get("channels").asInt())).isPositive();
      byte[] channel = java.util.Base64.getDecoder().decode(fm.get("pngs").get(0).asText());
      assertThat(java.nio.ByteBuffer.wrap(channel, 16, 4).getInt()).as("width").isEqualTo(224);
    }
  }
}
