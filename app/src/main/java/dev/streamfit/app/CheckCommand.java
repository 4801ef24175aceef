package dev.streamfit.app;

import dev.streamfit.ingest.IngestStage;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.pipeline.PipelineWatcher;
import dev.streamfit.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit check}: waits until every image published on {@code images.index} has come out of the
 * augment stage (on {@code images.augmented} or {@code images.rejected}), reading Kafka only; exit 0 when none
 * is missing, 1 with the missing ids at the timeout. For runs of separate processes (scripts/local-cluster.sh).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Wait until every published image is on images.augmented or images.rejected; exit 1 listing the missing ones.")
public final class CheckCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--timeout", defaultValue = "PT10M", description = "Give up after this long (ISO-8601, default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    String bootstrap = kafka.bootstrapOrDefault();
    Topics topics = kafka.topics();
    Set<String> published = IngestStage.publishedIds(bootstrap, topics);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (PipelineWatcher watcher = new PipelineWatcher(bootstrap, topics)) {
      Thread.sleep(3000); // let the watcher read what is already there before the first count
      while (true) {
        Set<String> out = watcher.processedIdSet();
        List<String> missing = published.stream().filter(id -> !out.contains(id)).sorted().toList();
        System.out.printf("check: %d published, %d augmented or rejected, %d missing (%d samples on %s)%n",
            published.size(), published.size() - missing.size(), missing.size(), watcher.samples(), topics.augmented());
        if (missing.isEmpty()) {
          System.out.println("RESULT check.missing 0");
          return 0;
        }
        if (System.nanoTime() > deadline) {
          System.out.println("missing: " + missing.subList(0, Math.min(20, missing.size())));
          System.out.println("RESULT check.missing " + missing.size());
          return 1;
        }
        Thread.sleep(2000);
      }
    }
  }
}
