package dev.streamfit.app;

import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.ingest.IngestSummary;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfit ingest}: publish a {@code <split>/<class>/} folder to images.raw. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Publish a <split>/<class>/*.jpg folder to images.raw (key = SHA-256 of the bytes).")
public final class IngestCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--data", required = true, description = "Folder laid out as <split>/<class>/<image>.")
  Path data;

  @Override
  public Integer call() {
    IngestSummary s = new IngestStage(IngestConfig.of(kafka.bootstrapOrDefault(), kafka.topics(), data)).run(null);
    System.out.printf(Locale.ROOT, "ingested %d images (%.1f MB) in %.1f s, %d rejected, per split %s%n",
        s.published(), s.bytes() / 1e6, s.seconds(), s.rejected(), s.perSplit());
    System.out.printf(Locale.ROOT, "RESULT ingest.img_s %.1f%n", s.published() / Math.max(1e-9, s.seconds()));
    return 0;
  }
}
