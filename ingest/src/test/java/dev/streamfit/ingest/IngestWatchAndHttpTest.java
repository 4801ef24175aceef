package dev.streamfit.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code --watch} picks new files up; the HTTP endpoint answers 201/200/400/413/415/422. Real broker. */
@ExtendWith(KafkaBrokerExtension.class)
class IngestWatchAndHttpTest {
  @TempDir
  Path data;

  @Test
  void watchPublishesANewFileWithinTwoSeconds(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("ingest-watch-", 1, (short) 1);
    Files.createDirectories(data.resolve("train/hat"));
    Files.write(data.resolve("train/hat/first.jpg"), TestImages.sampleJpeg("train", "hat"));
    IngestStage stage = new IngestStage(IngestConfig.of(broker.bootstrapServers(), topics, data));
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService ex = Executors.newSingleThreadExecutor();
    try {
      Future<IngestSummary> watching = ex.submit(() -> stage.watch(Duration.ofMillis(250), stop::get));
      awaitRaw(broker, topics, 1, Duration.ofSeconds(30)); // the initial scan
      Files.createDirectories(data.resolve("test/shoes"));
      Path tmp = data.resolve("new.part");
      Files.write(tmp, TestImages.sampleJpeg("test", "shoes"));
      long t0 = System.nanoTime();
      Files.move(tmp, data.resolve("test/shoes/new.jpg")); // appears complete, as a finished upload would
      List<RawImage> raws = awaitRaw(broker, topics, 2, Duration.ofSeconds(10));
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("watch: new file published and committed after %.2f s%n", seconds);
      assertThat(seconds).isLessThan(2.0);
      assertThat(raws).anySatisfy(r -> {
        assertThat(r.getSplit()).isEqualTo(Split.TEST);
        assertThat(r.getLabel()).isEqualTo("shoes");
      });
      stop.set(true);
      IngestSummary s = watching.get();
      assertThat(s.published()).isEqualTo(2);
    } finally {
      stop.set(true);
      ex.shutdownNow();
    }
  }

  @Test
  void httpIngestAnswersWithStatusAndReason(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("ingest-http-", 1, (short) 1);
    IngestConfig config = new IngestConfig(broker.bootstrapServers(), topics, data, 256 * 1024, List.of("hat", "shoes"),
        false, dev.streamfit.imaging.DecodeLimits.defaults(), 0, IngestConfig.DEFAULT_COMMIT_INTERVAL,
        dev.streamfit.http.HttpLimits.defaults());
    HttpClient http = HttpClient.newHttpClient();
    try (IngestServer server = new IngestStage(config).serveHttp("127.0.0.1", 0)) {
      String base = "http://127.0.0.1:" + server.port() + "/v1/images";
      byte[] hat = TestImages.sampleJpeg("test", "hat");
      HttpResponse<String> created = post(http, base + "?label=hat&split=train", hat);
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      assertThat(created.body()).contains("\"status\":\"published\"").contains("\"split\":\"train\"");
      assertThat(post(http, base + "?label=hat&split=train", hat).body()).contains("\"status\":\"duplicate\"");
      assertThat(post(http, base + "?label=hat&split=train", hat).statusCode()).isEqualTo(200);
      HttpResponse<String> unlabeled = post(http, base, TestImages.sampleJpeg("test", "pants"));
      assertThat(unlabeled.statusCode()).isEqualTo(201);
      assertThat(unlabeled.body()).contains("\"split\":\"unlabeled\"").contains("\"label\":null");

      assertStatus(post(http, base + "?label=hat", new byte[300 * 1024]), 413, "too_large");
      assertStatus(post(http, base + "?label=hat", "not an image".getBytes()), 415, "unsupported_format");
      assertStatus(post(http, base + "?label=hat", TestImages.hostile().get("truncated")), 422, "corrupt_image");
      assertStatus(post(http, base + "?label=hat", TestImages.hostile().get("bomb")), 422, "dimensions_too_large");
      assertStatus(post(http, base + "?label=sombrero", TestImages.sampleJpeg("test", "shoes")), 422, "unknown_label");
      assertStatus(post(http, base + "?label=hat&split=nope", hat), 400, "bad_request");
      assertStatus(post(http, base + "?split=train", hat), 400, "bad_request");
      try (dev.streamfit.testkit.RawHttp raw = new dev.streamfit.testkit.RawHttp(server.port(), 10_000)) {
        byte[] shoes = TestImages.sampleJpeg("train", "shoes");
        raw.send("POST http://127.0.0.1:" + server.port() + "/v1/images?label=shoes&split=train HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: image/jpeg\r\nContent-Length: " + shoes.length + "\r\n\r\n").send(shoes);
        dev.streamfit.testkit.RawHttp.Reply absolute = raw.read();
        assertThat(absolute.status()).as(absolute.body()).isEqualTo(201);
      }
      try (dev.streamfit.testkit.RawHttp raw = new dev.streamfit.testkit.RawHttp(server.port(), 10_000)) {
        raw.send("POST /v1/images?label=hat HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\nshort").halfClose();
        dev.streamfit.testkit.RawHttp.Reply cut = raw.read();
        assertThat(cut.status()).as(cut.body()).isEqualTo(400);
        assertThat(cut.body()).contains("(5 of 900 bytes)");
      }
      HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(get.statusCode()).isEqualTo(405);
    }
    List<byte[]> raw = IngestStageTest.readAll(broker, topics.raw());
    assertThat(raw).hasSize(3);
    assertThat(raw).extracting(b -> AvroSerde.of(RawImage.class).decode(b).getMediaType().toString())
        .containsOnly("image/jpeg");
    List<String> reasons = IngestStageTest.readAll(broker, topics.rejected()).stream()
        .map(b -> AvroSerde.of(Rejection.class).decode(b).getReason().toString()).toList();
    assertThat(reasons).containsExactlyInAnyOrder("unsupported_format", "corrupt_image", "dimensions_too_large",
        "unknown_label");
  }

  static HttpResponse<String> post(HttpClient http, String url, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static void assertStatus(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.body()).contains("\"error\":\"" + code + "\"").contains("\"message\":");
  }

  static List<RawImage> awaitRaw(KafkaBroker broker, Topics topics, int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<RawImage> raws = IngestStageTest.readAll(broker, topics.raw()).stream()
          .map(AvroSerde.of(RawImage.class)::decode).toList();
      if (raws.size() >= n || System.nanoTime() > deadline) {
        assertThat(raws).hasSize(n);
        return raws;
      }
      Thread.sleep(50);
    }
  }
}
