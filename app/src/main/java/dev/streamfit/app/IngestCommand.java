package dev.streamfit.app;

import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestServer;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.ingest.IngestSummary;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfit ingest}: publish a {@code <split>/<class>/} folder (once or watched) and/or take images over HTTP. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {"Publish a <split>/<class>/*.jpg folder to images.raw (key = SHA-256 of the bytes).",
        "Content already published (or refused) before is skipped: re-ingesting a folder publishes nothing new.",
        "--watch keeps publishing files that appear; --http-port takes POST /v1/images?label=…&split=… until interrupted."})
public final class IngestCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--data", description = "Folder laid out as <split>/<class>/<image> (other top folders: unlabeled).")
  Path data;

  @Option(names = "--labels", split = ",", description = "Accepted labels (comma-separated); others are refused as "
      + "unknown_label. Default: any label.")
  List<String> labels = List.of();

  @Option(names = "--unknown-label-as-unlabeled", description = "Publish images with unknown labels as unlabeled instead of refusing them.")
  boolean unknownAsUnlabeled;

  @Option(names = "--watch", description = "After publishing the folder, keep publishing files that appear in it until interrupted.")
  boolean watch;

  @Option(names = "--watch-interval-ms", defaultValue = "500", description = "Folder scan interval (default ${DEFAULT-VALUE}).")
  long watchIntervalMs;

  @Option(names = "--http-port", defaultValue = "-1", description = "Serve POST /v1/images on this port until interrupted (0 = any free port).")
  int httpPort;

  @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "HTTP bind address (default ${DEFAULT-VALUE}).")
  String httpHost;

  @Override
  public Integer call() throws Exception {
    if (data == null && httpPort < 0) {
      throw new IllegalArgumentException("ingest needs --data (a folder) or --http-port (the HTTP endpoint), or both");
    }
    if (watch && data == null) {
      throw new IllegalArgumentException("--watch needs --data (the folder to watch)");
    }
    if (watchIntervalMs < 50 || watchIntervalMs > 60_000) {
      throw new IllegalArgumentException("ingest.watch-interval-ms must be in [50, 60000], was " + watchIntervalMs
          + " (set --watch-interval-ms)");
    }
    IngestStage stage = new IngestStage(IngestConfig.of(kafka.bootstrapOrDefault(), kafka.topics(), data)
        .withLabels(labels, unknownAsUnlabeled));
    IngestServer http = null;
    if (httpPort >= 0) {
      http = stage.serveHttp(httpHost, httpPort);
      System.out.printf("ingest: POST http://%s:%d/v1/images?label=…&split=…%n", httpHost, http.port());
    }
    CountDownLatch stop = new CountDownLatch(1);
    IngestServer server = http;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      if (server != null) {
        server.close();
      }
    }, "streamfit-ingest-shutdown"));
    if (data != null) {
      IngestSummary s = watch ? stage.watch(Duration.ofMillis(watchIntervalMs), () -> stop.getCount() == 0)
          : stage.run(new ProgressBar(stage.files().size(), System.err));
      print(s);
    }
    if (http != null && !watch) {
      stop.await();
    }
    return 0;
  }

  private static void print(IngestSummary s) {
    System.out.printf(Locale.ROOT, "ingested %d images (%.1f MB, %.1f MB/s) in %.1f s, per split %s; %d already published;"
        + " %d rejected %s%n", s.published(), s.bytes() / 1e6, s.megabytesPerSecond(), s.seconds(), s.perSplit(),
        s.duplicates(), s.rejected(), s.rejectedByReason());
    System.out.printf(Locale.ROOT, "RESULT ingest.img_s %.1f%n", s.published() / Math.max(1e-9, s.seconds()));
  }
}
