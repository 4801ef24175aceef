package dev.streamfit.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.http.HttpLimits;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Labels;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.RawHttp;
import dev.streamfit.testkit.TestImages;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Labels from the network and from files follow one syntax on every ingest path; stalled clients hold no worker. */
@ExtendWith(KafkaBrokerExtension.class)
class IngestHardeningTest {
  /** Labels ingest was seen to publish before the rule, as sent on the wire (URL-encoded). */
  static final List<String> BAD_LABELS_ENCODED = List.of("..%2F..%2Fx", "%C3%28", "a%0Ab", "a%00b", "%1B%5B31mred",
      "x".repeat(2048), "", "%20hat", "hat%20", "a%2Fb", "a%5Cb", "%F0%9F%91%92");

  @TempDir
  Path dir;

  @Test
  void theRuleAcceptsLabelsInAnyScriptAndRefusesTheRest() {
    for (String ok : List.of("hat", "t-shirt", "Long sleeve", "1", "chaussure_2", "Hose", "帽子", "шапка", "a.b+c",
        "x".repeat(Labels.MAX_LENGTH))) {
      assertThat(Labels.problem(ok)).as(ok).isNull();
    }
    for (String bad : List.of("../../x", "a\nb", "a\0b", "\u001b[31mred", " hat", "hat ", "", "a/b", "a\\b",
        "x".repeat(Labels.MAX_LENGTH + 1), "\ud83d\udc52", "\ufffd(", "-hat")) {
      assertThat(Labels.problem(bad)).as(bad).isNotNull().contains("a label is 1 to 64 characters");
    }
    assertThat(Labels.problem("a\u001b[31m")).doesNotContain("\u001b"); // shown escaped, never raw
    assertThatThrownBy(() -> IngestConfig.of("localhost:1", new Topics("x-", 1, (short) 1), null)
        .withLabels(List.of("hat", "../x"), false)).hasMessageContaining("ingest.labels").hasMessageContaining("--labels");
  }

  @Test
  void badLabelsAreRefusedOverHttpAndStalledClientsDoNotBlockIngest(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("ingest-hard-http-", 1, (short) 1);
    IngestConfig config = IngestConfig.of(broker.bootstrapServers(), topics, null)
        .withHttp(HttpLimits.defaults().withTimeouts(Duration.ofMillis(1500), Duration.ofMillis(1500)));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] hat = TestImages.sampleJpeg("test", "hat");
    try (IngestServer server = new IngestStage(config).serveHttp("127.0.0.1", 0)) {
      String base = "http://127.0.0.1:" + server.port() + "/v1/images";
      for (String label : BAD_LABELS_ENCODED) {
        HttpResponse<String> r = post(http, base + "?split=train&label=" + label, hat);
        assertThat(r.statusCode()).as(label + ": " + r.body()).isIn(400);
        assertThat(r.body()).as(label).containsAnyOf("\"error\":\"invalid_label\"", "needs a label");
      }
      for (String bomb : List.of("ihdr-disagrees", "ihdr-not-first", "truncated-with-trailer")) {
        HttpResponse<String> r = post(http, base + "?split=train&label=hat", TestImages.hostile().get(bomb));
        assertThat(r.statusCode()).as(bomb + ": " + r.body()).isEqualTo(422);
        assertThat(r.body()).as(bomb).contains("\"error\":\"corrupt_image\"");
      }
      HttpResponse<String> scans = post(http, base + "?split=train&label=hat", TestImages.hostile().get("many-scans"));
      assertThat(scans.body()).as(scans.body()).contains("\"error\":\"decode_cost\"");
      HttpResponse<String> phone = post(http, base + "?split=train&label=shoes", TestImages.phoneStyle().get("motion-photo"));
      assertThat(phone.statusCode()).as(phone.body()).isEqualTo(201);
      HttpResponse<String> huge = post(http, base + "?split=train&label=" + "y".repeat(100_000), hat);
      assertThat(huge.statusCode()).as(huge.body()).isIn(414, 431);

      List<RawHttp> attackers = new ArrayList<>();
      try {
        for (int i = 0; i < 16; i++) {
          attackers.add(new RawHttp(server.port(), 10_000).send("POST /v1/images?label=hat HTTP/1.1\r\nHost: x\r\n"
              + "Content-Length: 5000\r\n\r\n"));
          attackers.add(new RawHttp(server.port(), 10_000).send("POST /v1/ima"));
        }
        long t0 = System.nanoTime();
        HttpResponse<String> ok = post(http, base + "?split=train&label=hat", hat);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);
        assertThat(attackers.get(0).read().status()).isEqualTo(408);
        RawHttp.Reply badChunk = new RawHttp(server.port(), 10_000).send("POST /v1/images HTTP/1.1\r\nHost: x\r\n"
            + "Transfer-Encoding: chunked\r\n\r\nxyz\r\n").read();
        assertThat(badChunk.status()).isEqualTo(400);
      } finally {
        for (RawHttp a : attackers) {
          a.close();
        }
      }
    }
    assertThat(readRaw(broker, topics)).extracting(r -> String.valueOf(r.getLabel()))
        .containsExactlyInAnyOrder("shoes", "hat");
    List<String> reasons = rejectionReasons(broker, topics);
    assertThat(reasons.stream().filter("invalid_label"::equals)).hasSize(BAD_LABELS_ENCODED.size() - 1);
    assertThat(reasons).containsOnly("invalid_label", "corrupt_image", "decode_cost").hasSize(BAD_LABELS_ENCODED.size() + 3);
  }

  @Test
  void badLabelsAreRefusedFromFoldersCsvStdinAndArguments(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("ingest-hard-files-", 1, (short) 1);
    Path data = dir.resolve("data");
    Files.createDirectories(data.resolve("train/hat"));
    Files.createDirectories(data.resolve("train/bad$label"));
    Files.write(data.resolve("train/hat/a.jpg"), TestImages.sampleJpeg("train", "hat"));
    Files.write(data.resolve("train/bad$label/b.jpg"), TestImages.sampleJpeg("train", "shoes"));
    IngestSummary folder = new IngestStage(IngestConfig.of(broker.bootstrapServers(), topics, data)).run(n -> { });
    assertThat(folder.published()).isEqualTo(1);
    assertThat(folder.rejectedByReason()).containsEntry("invalid_label", 1L);

    Path flat = dir.resolve("flat");
    Files.createDirectories(flat);
    Files.write(flat.resolve("c.jpg"), TestImages.sampleJpeg("test", "pants"));
    Files.write(flat.resolve("d.jpg"), TestImages.sampleJpeg("test", "shirt"));
    Files.writeString(flat.resolve("labels.csv"), "path,label\nc.jpg,../../x\nd.jpg,\"a\u001b[31m\"\n");
    IngestStage stage = new IngestStage(IngestConfig.of(broker.bootstrapServers(), topics, null));
    IngestSummary csv = stage.run(IngestSources.fromCsv(flat.resolve("labels.csv")), n -> { });
    assertThat(csv.rejectedByReason()).containsEntry("invalid_label", 2L);
    assertThat(csv.published()).isZero();

    IngestSummary stdin = stage.run(IngestSources.fromLines(new BufferedReader(new StringReader(
        "c.jpg,hat\u0000x\nd.jpg," + "z".repeat(2000) + "\n")), flat), n -> { });
    assertThat(stdin.rejectedByReason()).containsEntry("invalid_label", 2L);

    IngestSummary args = stage.run(IngestSources.fromPaths(List.of("c.jpg"), flat, Split.TRAIN, "a/b"), n -> { });
    assertThat(args.rejectedByReason()).containsEntry("invalid_label", 1L);

    // the same images with good labels are still welcome: a refused label does not mark the content as seen
    IngestSummary good = stage.run(IngestSources.fromPaths(List.of("c.jpg", "d.jpg"), flat, Split.TRAIN, "pants"), n -> { });
    assertThat(good.published()).isEqualTo(2);
    assertThat(readRaw(broker, topics)).extracting(r -> String.valueOf(r.getLabel()))
        .containsExactlyInAnyOrder("hat", "pants", "pants");
    assertThat(rejectionReasons(broker, topics)).hasSize(6).containsOnly("invalid_label");
  }

  static List<RawImage> readRaw(KafkaBroker broker, Topics topics) {
    return IngestStageTest.readAll(broker, topics.raw()).stream().map(AvroSerde.of(RawImage.class)::decode).toList();
  }

  static List<String> rejectionReasons(KafkaBroker broker, Topics topics) {
    return IngestStageTest.readAll(broker, topics.rejected()).stream()
        .map(b -> AvroSerde.of(Rejection.class).decode(b).getReason().toString()).toList();
  }

  static HttpResponse<String> post(HttpClient http, String url, byte[] body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
