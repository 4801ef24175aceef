package dev.streamfit.app;

import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.ingest.IngestSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfit ingest}: publish a {@code <split>/<class>/} folder to images.raw. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {"Publish a <split>/<class>/*.jpg folder to images.raw (key = SHA-256 of the bytes).",
        "Content already published (or refused) before is skipped: re-ingesting a folder publishes nothing new."})
public final class IngestCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--data", required = true, description = "Folder laid out as <split>/<class>/<image>.")
  Path data;

  @Option(names = "--labels", split = ",", description = "Accepted labels (comma-separated); others are refused as "
      + "unknown_label. Default: any label.")
  List<String> labels = List.of();

  @Option(names = "--unknown-label-as-unlabeled", description = "Publish images with unknown labels as unlabeled instead of refusing them.")
  boolean unknownAsUnlabeled;

  @Override
  public Integer call() {
    IngestConfig config = IngestConfig.of(kafka.bootstrapOrDefault(), kafka.topics(), data)
        .withLabels(labels, unknownAsUnlabeled);
    IngestSummary s = new IngestStage(config).run(null);
    System.out.printf(Locale.ROOT, "ingested %d images (%.1f MB, %.1f MB/s) in %.1f s, per split %s; %d already published;"
        + " %d rejected %s%n", s.published(), s.bytes() / 1e6, s.megabytesPerSecond(), s.seconds(), s.perSplit(),
        s.duplicates(), s.rejected(), s.rejectedByReason());
    System.out.printf(Locale.ROOT, "RESULT ingest.img_s %.1f%n", s.published() / Math.max(1e-9, s.seconds()));
    return 0;
  }
}
