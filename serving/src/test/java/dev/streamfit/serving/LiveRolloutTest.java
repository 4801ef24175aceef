package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rollout on live traffic with real versions on a real broker: a canary answers its share and is promoted after N
 * good requests; a canary that fails on part of the live images (non-finite outputs) is retired and never promoted,
 * with no request failing; a shadow's answers are never returned and its agreement with the stable version is the
 * one computed here independently.
 */
@ExtendWith(KafkaBrokerExtension.class)
class LiveRolloutTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Sends {@code n} predictions of {@code images} (round robin) from 8 threads; returns each answer's version. */
  static List<Long> load(Fixtures.Client client, List<byte[]> images, int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      AtomicInteger next = new AtomicInteger();
      List<Future<List<Long>>> parts = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        parts.add(pool.submit(() -> {
          List<Long> versions = new ArrayList<>();
          for (int i; (i = next.getAndIncrement()) < n; ) {
            HttpResponse<String> r = client.post("/v1/predict", images.get(i % images.size()));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            versions.add(JSON.readTree(r.body()).get("modelVersion").asLong());
          }
          return versions;
        }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> f : parts) {
        all.addAll(f.get());
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  static ServingConfig config(KafkaBroker broker, Topics topics, RolloutPolicy rollout) {
    return ServingConfig.defaults(broker.bootstrapServers(), topics, 0).withModelName("clothing")
        .withTopicInference(false).withRollout(rollout);
  }

  @Test
  void canaryAnswersItsShareIsPromotedAndAFailingOneIsRetired(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("canary-", 1, (short) 1);
    List<byte[]> live = LiveFixtures.pool(60, 11);
    RolloutPolicy canary = RolloutPolicy.defaults().withMode(RolloutPolicy.Mode.CANARY);
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      try (ServingStage s = ServingStage.start(config(broker, topics, canary.withCanary(0.1, 250)))) {
        Fixtures.Client client = new Fixtures.Client(s.port());
        publish(p, topics, LiveFixtures.version(1, LiveFixtures.good(0)));
        await("v1 active", () -> s.active() != null && s.active().version() == 1);
        publish(p, topics, LiveFixtures.version(2, LiveFixtures.good(0.3)));
        await("v2 canary", () -> state(s, 2) != null && state(s, 2).status() == ModelStatus.CANARY);
        JsonNode models = JSON.readTree(client.get("/v1/models").body());
        assertThat(models.at("/rollout/labels/stable").asLong()).isEqualTo(1);
        assertThat(models.at("/rollout/labels/canary").asLong()).isEqualTo(2);
        assertThat(models.at("/rollout/mode").asText()).isEqualTo("canary");

        List<Long> first = load(client, live, 2000);
        long byCanary = first.stream().filter(v -> v == 2).count();
        System.out.println("canary answered " + byCanary + " of " + first.size() + " requests at share 0.1");
        assertThat(byCanary).as("canary share of 2,000 requests").isBetween(180L, 220L);
        assertThat(state(s, 2).status()).isEqualTo(ModelStatus.CANARY);

        load(client, live, 600); // the canary reaches 250 requests within these
        await("v2 promoted", () -> state(s, 2).status() == ModelStatus.ACTIVE);
        assertThat(state(s, 1).status()).isEqualTo(ModelStatus.RETIRED);
        assertThat(load(client, live, 50)).containsOnly(2L);
        assertThat(s.live(2).requests()).isGreaterThanOrEqualTo(250);
        assertThat(s.live(2).errors()).isZero();
      }

      // A canary that gives non-finite answers on part of the live images: a second instance, judging sooner.
      byte[] bad = LiveFixtures.overflowing();
      double[][] out = LiveFixtures.probabilities(bad, live);
      List<byte[]> breaking = new ArrayList<>();
      for (int i = 0; i < live.size(); i++) {
        if (!Double.isFinite(out[i][0])) {
          breaking.add(live.get(i));
        }
      }
      assertThat(breaking).as("live images on which the bad version overflows").hasSizeGreaterThanOrEqualTo(2);
      List<byte[]> mixed = new ArrayList<>(breaking);
      mixed.addAll(live.subList(0, breaking.size())); // at least half of the traffic breaks it
      try (ServingStage s = ServingStage.start(config(broker, topics, canary.withCanary(0.5, 100)))) {
        Fixtures.Client client = new Fixtures.Client(s.port());
        await("v2 recovered", () -> s.active() != null && s.active().version() == 2);
        publish(p, topics, LiveFixtures.version(3, bad));
        await("v3 canary", () -> state(s, 3) != null && state(s, 3).status() == ModelStatus.CANARY);
        List<Long> versions = load(client, mixed, 300); // every request answered 200 (checked in load)
        await("v3 retired", () -> state(s, 3).status() == ModelStatus.RETIRED);
        assertThat(state(s, 3).reason()).contains("error rate");
        assertThat(s.active().version()).isEqualTo(2);
        assertThat(s.live(3).errors()).isPositive();
        assertThat(versions).contains(2L).doesNotContain(1L);
        assertThat(load(client, mixed, 50)).containsOnly(2L);
      }
      // A restart keeps the decisions (model.events): v3 stays retired, v2 stable.
      try (ServingStage s = ServingStage.start(config(broker, topics, canary.withCanary(0.5, 100)))) {
        await("recovered", () -> s.active() != null);
        assertThat(s.active().version()).isEqualTo(2);
        assertThat(state(s, 3).status()).isEqualTo(ModelStatus.RETIRED);
        // A version published while no instance ran is rolled out as a canary, not made stable unjudged.
        publish(p, topics, LiveFixtures.version(4, LiveFixtures.good(0.2)));
        await("v4 canary", () -> state(s, 4) != null && state(s, 4).status() == ModelStatus.CANARY);
      }
      try (ServingStage s = ServingStage.start(config(broker, topics, canary.withCanary(0.5, 100)))) {
        await("recovered again", () -> state(s, 4) != null && state(s, 4).status() == ModelStatus.CANARY);
        assertThat(s.active().version()).isEqualTo(2);
      }
      List<ModelEvent> events = FeedbackLoopTest.read(broker.bootstrapServers(), topics.modelEvents(), 1,
          ModelEvent.class, 2);
      assertThat(events).extracting(e -> e.getKind() + " v" + e.getVersion())
          .containsExactly("CANARY_PROMOTED v2", "CANARY_RETIRED v3");
      assertThat(events.get(1).getReplacementVersion()).isEqualTo(2L);
    }
  }

  @Test
  void shadowAnswersOnlyCopiesAndReportsItsAgreement(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("shadow-", 1, (short) 1);
    List<byte[]> live = LiveFixtures.pool(60, 21);
    byte[] stable = LiveFixtures.good(0);
    double[][] ps = LiveFixtures.probabilities(stable, live);
    // A shadow that moves label 0 up by the median margin of the images where it is not top: it disagrees on some.
    List<Double> margins = new ArrayList<>();
    for (double[] p : ps) {
      if (LiveFixtures.top1(p) != 0) {
        margins.add(Math.log(Math.max(p[1], p[2]) / p[0]));
      }
    }
    margins.sort(null);
    double shift = margins.isEmpty() ? 1 : margins.get(margins.size() / 2) + 1e-3;
    byte[] shadow = LiveFixtures.good(shift);
    double[][] pw = LiveFixtures.probabilities(shadow, live);
    int agree = 0;
    for (int i = 0; i < live.size(); i++) {
      agree += LiveFixtures.top1(ps[i]) == LiveFixtures.top1(pw[i]) ? 1 : 0;
    }
    double expected = (double) agree / live.size();
    assertThat(expected).as("the shadow differs on some images, not all").isStrictlyBetween(0.0, 1.0);

    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers());
        ServingStage s = ServingStage.start(config(broker, topics,
            RolloutPolicy.defaults().withMode(RolloutPolicy.Mode.SHADOW)).withAdminLoopback(true))) {
      Fixtures.Client client = new Fixtures.Client(s.port());
      publish(p, topics, LiveFixtures.version(1, stable));
      await("v1 active", () -> s.active() != null && s.active().version() == 1);
      publish(p, topics, LiveFixtures.version(2, shadow));
      await("v2 shadow", () -> state(s, 2) != null && state(s, 2).status() == ModelStatus.SHADOW);
      for (int i = 0; i < live.size(); i++) {
        HttpResponse<String> r = client.post("/v1/predict?k=1", live.get(i));
        JsonNode a = JSON.readTree(r.body());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(a.get("modelVersion").asLong()).isEqualTo(1);
        assertThat(a.get("rollout").asText()).isEqualTo("stable");
        assertThat(a.at("/predictions/0/label").asText()).isEqualTo(LiveFixtures.LABELS.get(LiveFixtures.top1(ps[i])));
      }
      await("every copy compared", () -> s.live(2) != null && s.live(2).compared() == live.size());
      assertThat(s.live(2).agreement()).isEqualTo(expected);
      JsonNode models = JSON.readTree(client.get("/v1/models").body());
      JsonNode v2 = null;
      for (JsonNode v : models.get("versions")) {
        if (v.get("version").asLong() == 2) {
          v2 = v;
        }
      }
      assertThat(v2.get("label").asText()).isEqualTo("shadow");
      assertThat(v2.at("/live/shadowAgreement").asDouble()).isEqualTo(expected);
      assertThat(client.get("/metrics").body())
          .contains("streamfit_serving_version_shadow_agreement{version=\"2\"} " + expected);

      // Admin verbs: promote the shadow; pin, so a new version is held; unpin; abort the next candidate.
      assertThat(client.post("/v1/models/1:promote", new byte[0]).statusCode()).as("v1 is not the candidate").isEqualTo(409);
      HttpResponse<String> promoted = client.post("/v1/models/2:promote", new byte[0]);
      assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
      assertThat(JSON.readTree(promoted.body()).at("/rollout/labels/stable").asLong()).isEqualTo(2);
      assertThat(state(s, 1).status()).isEqualTo(ModelStatus.RETIRED);
      assertThat(client.post("/v1/models/1:pin", new byte[0]).statusCode()).isEqualTo(200);
      assertThat(s.active().version()).isEqualTo(1);
      publish(p, topics, LiveFixtures.version(3, LiveFixtures.good(0.1)));
      await("v3 held", () -> state(s, 3) != null && state(s, 3).status() == ModelStatus.HELD);
      assertThat(s.active().version()).isEqualTo(1);
      assertThat(JSON.readTree(client.get("/v1/models").body()).at("/rollout/pinned").asLong()).isEqualTo(1);
      assertThat(client.post("/v1/models/1:unpin", new byte[0]).statusCode()).isEqualTo(200);
      publish(p, topics, LiveFixtures.version(4, LiveFixtures.good(0.2)));
      await("v4 shadow", () -> state(s, 4) != null && state(s, 4).status() == ModelStatus.SHADOW);
      assertThat(client.post("/v1/models/4:abort", new byte[0]).statusCode()).isEqualTo(200);
      assertThat(state(s, 4).status()).isEqualTo(ModelStatus.RETIRED);
      assertThat(state(s, 4).reason()).startsWith("aborted by admin");
      assertThat(client.post("/v1/models/4:nudge", new byte[0]).statusCode()).isEqualTo(404);
      assertThat(client.get("/v1/models/4:abort").statusCode()).isEqualTo(405);
    }
  }
}
