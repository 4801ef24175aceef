package dev.streamfit.app;

import dev.streamfit.common.metrics.PrometheusRegistry;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.FrozenPrefix;
import dev.streamfit.features.FeaturesStage;
import dev.streamfit.pipeline.CommonOptions;
import dev.streamfit.pipeline.Configs;
import dev.streamfit.pipeline.FeaturesOptions;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.pipeline.Shutdown;
import dev.streamfit.pipeline.TrainerOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfit features}: run the features stage until interrupted. */
@Command(name = "features", mixinStandardHelpOptions = true,
    description = "Run the features stage (Kafka Streams, exactly-once) images.augmented → images.features: the frozen "
        + "part of the network, once per sample, for a trainer run with --trainer-input features and the same --base, "
        + "--image-size and --fine-tune-blocks. Scale out by running more instances (up to the partition count).")
public final class FeaturesCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  CommonOptions common;

  @Mixin
  FeaturesOptions features;

  @Option(names = "--base", defaultValue = TrainerOptions.DEFAULT_BASE,
      description = "The trainer's base (default ${DEFAULT-VALUE}).")
  String base;

  @Option(names = "--fine-tune-blocks", defaultValue = "0",
      description = "The trainer's fine-tuned blocks: the prefix ends below them (default ${DEFAULT-VALUE}).")
  int fineTuneBlocks;

  @Option(names = "--instance-id", defaultValue = "",
      description = "Stable id of this instance (Kafka static membership): a restart takes its partitions back at once.")
  String instanceId;

  @Option(names = "--metrics-port", defaultValue = "-1",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics; -1 = off, 0 = any free port.")
  int metricsPort;

  @Option(names = "--metrics-host", defaultValue = "127.0.0.1", description = "Metrics bind address (default ${DEFAULT-VALUE}).")
  String metricsHost;

  @Override
  public Integer call() throws Exception {
    var config = Configs.features(kafka.bootstrapOrDefault(), kafka.topics(),
        new FrozenPrefix(BaseModel.fromId(base), common.imageSize, fineTuneBlocks), features,
        common.workDir.resolve("kafka-streams"), instanceId);
    var registry = PrometheusRegistry.create();
    MetricsServer metrics = metricsPort >= 0 ? new MetricsServer(metricsHost, metricsPort, registry) : null;
    if (metrics != null) {
      System.err.println("streamfit features: metrics at http://" + metricsHost + ":" + metrics.port() + "/metrics");
    }
    FeaturesStage s = FeaturesStage.start(config, registry);
    Shutdown.awaitSignal(s);
    if (metrics != null) {
      metrics.close();
    }
    return 0;
  }
}
