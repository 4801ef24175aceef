package dev.streamfit.app;

import dev.streamfit.common.metrics.PrometheusRegistry;
import dev.streamfit.augment.AugmentStage;
import dev.streamfit.pipeline.AugmentOptions;
import dev.streamfit.pipeline.CommonOptions;
import dev.streamfit.pipeline.Configs;
import dev.streamfit.pipeline.DecodeOptions;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.pipeline.Shutdown;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code streamfit augment}: run the augment stage until interrupted. */
@Command(name = "augment", mixinStandardHelpOptions = true, subcommands = {AugmentPreviewCommand.class},
    description = "Run the augment stage (Kafka Streams, exactly-once) images.raw → images.augmented until interrupted.")
public final class AugmentCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  DecodeOptions decode;

  @Mixin
  CommonOptions common;

  @Mixin
  AugmentOptions augment;

  @picocli.CommandLine.Option(names = "--metrics-port", defaultValue = "-1",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (records in/out, rejections by reason, per-op time, Kafka Streams client metrics); -1 = off, 0 = any free port.")
  int metricsPort;

  @picocli.CommandLine.Option(names = "--metrics-host", defaultValue = "127.0.0.1", description = "Metrics bind address (default ${DEFAULT-VALUE}).")
  String metricsHost;

  @Override
  public Integer call() throws Exception {
    var registry = PrometheusRegistry.create();
    MetricsServer metrics = metricsPort >= 0 ? new MetricsServer(metricsHost, metricsPort, registry) : null;
    if (metrics != null) {
      System.err.println("streamfit augment: metrics at http://" + metricsHost + ":" + metrics.port() + "/metrics");
    }
    AugmentStage s = AugmentStage.start(Configs.augment(kafka.bootstrapOrDefault(), kafka.topics(), common, augment,
        common.workDir.resolve("kafka-streams"), decode.limits()), registry);
    Shutdown.awaitSignal(s);
    if (metrics != null) {
      metrics.close();
    }
    return 0;
  }
}
