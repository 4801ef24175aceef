package dev.streamfit.app;

import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestItem;
import dev.streamfit.ingest.IngestServer;
import dev.streamfit.ingest.IngestSources;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.ingest.IngestSummary;
import dev.streamfit.pipeline.DecodeOptions;
import dev.streamfit.pipeline.HttpOptions;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.schemas.Split;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
        "Sources: --data folder, FILE|GLOB arguments, --labels-csv (flat folder), --stdin (a list of paths).",
        "--watch keeps publishing files that appear; --http-port takes POST /v1/images?label=…&split=… until interrupted."})
public final class IngestCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  HttpOptions http;

  @Mixin
  DecodeOptions decode;

  @Option(names = "--max-image-bytes", defaultValue = "16777216", description = "Images larger than this are refused as "
      + "too_large, from files and over HTTP (default ${DEFAULT-VALUE}).")
  int maxImageBytes;

  @Option(names = "--data", description = "Folder laid out as <split>/<class>/<image> (other top folders: unlabeled).")
  Path data;

  @picocli.CommandLine.Parameters(arity = "0..*", paramLabel = "FILE|GLOB",
      description = "Files or globs (e.g. 'shots/**.jpg'), published with --label/--split.")
  List<String> paths = List.of();

  @Option(names = "--labels-csv", description = "A flat folder's labels: rows path,label[,split], paths relative to the CSV.")
  Path labelsCsv;

  @Option(names = "--stdin", description = "Read paths (path[,label[,split]] per line) from standard input.")
  boolean stdin;

  @Option(names = "--label", description = "Label of the FILE|GLOB arguments (default: unlabeled).")
  String label;

  @Option(names = "--split", defaultValue = "train", description = "Split of labelled FILE|GLOB arguments (default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--labels", split = ",", description = "Accepted labels (comma-separated); others are refused as "
      + "unknown_label. Default: any label.")
  List<String> labels = List.of();

  @Option(names = "--unknown-label-as-unlabeled", description = "Publish images with unknown labels as unlabeled instead of refusing them.")
  boolean unknownAsUnlabeled;

  @Option(names = "--max-side", defaultValue = "0", description = "Downscale images whose longer side exceeds this (px) and "
      + "re-encode them as JPEG 95 before publishing; 0 = publish as received (default ${DEFAULT-VALUE}).")
  int maxSide;

  @Option(names = "--commit-interval-ms", defaultValue = "1000", description = "Commit the open Kafka transaction after"
      + " this long while images keep coming: what a crash makes a re-run redo, and how late read_committed consumers"
      + " see images (default ${DEFAULT-VALUE}).")
  long commitIntervalMs;

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
    boolean listed = !paths.isEmpty() || labelsCsv != null || stdin;
    if (data == null && httpPort < 0 && !listed) {
      throw new IllegalArgumentException("ingest needs --data (a folder), files/globs, --labels-csv, --stdin or --http-port");
    }
    if (watch && data == null) {
      throw new IllegalArgumentException("--watch needs --data (the folder to watch)");
    }
    if (watchIntervalMs < 50 || watchIntervalMs > 60_000) {
      throw new IllegalArgumentException("ingest.watch-interval-ms must be in [50, 60000], was " + watchIntervalMs
          + " (set --watch-interval-ms)");
    }
    IngestStage stage = new IngestStage(IngestConfig.of(kafka.bootstrapOrDefault(), kafka.topics(), data)
        .withLabels(labels, unknownAsUnlabeled).withMaxSide(maxSide)
        .withCommitInterval(Duration.ofMillis(commitIntervalMs)).withHttp(http.limits())
        .withDecodeLimits(decode.limits()).withMaxImageBytes(maxImageBytes));
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
    List<IngestItem> items = new ArrayList<>();
    if (data != null && !watch) {
      items.addAll(stage.items());
    }
    if (labelsCsv != null) {
      items.addAll(IngestSources.fromCsv(labelsCsv));
    }
    Path cwd = Path.of("").toAbsolutePath();
    if (!paths.isEmpty()) {
      items.addAll(IngestSources.fromPaths(paths, cwd, label == null ? Split.UNLABELED
          : IngestSources.parseSplit(split, "--split"), label));
    }
    if (stdin) {
      items.addAll(IngestSources.fromLines(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), cwd));
    }
    if (!items.isEmpty()) {
      print(stage.run(items, new ProgressBar(items.size(), System.err)));
    }
    if (watch) {
      print(stage.watch(Duration.ofMillis(watchIntervalMs), () -> stop.getCount() == 0));
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
