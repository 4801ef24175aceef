package dev.streamfit.app;

import dev.streamfit.common.metrics.PrometheusRegistry;
import dev.streamfit.pipeline.CommonOptions;
import dev.streamfit.pipeline.Configs;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.pipeline.Shutdown;
import dev.streamfit.pipeline.TrainerOptions;
import dev.streamfit.schemas.LabelSet;
import dev.streamfit.trainer.TrainerStage;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfit train}: run the trainer until interrupted. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Run the trainer: images.augmented → checkpoints → models, until interrupted.",
        "The label set (the head's outputs, in order) is one of --labels, --labels-file or the class folders of --data."})
public final class TrainCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  CommonOptions common;

  @Mixin
  TrainerOptions trainer;

  @Option(names = "--labels", description = "The label set in output order, comma-separated (e.g. cat,dog,owl).")
  String labels;

  @Option(names = "--labels-file", description = "The label set, one label per line (# comments).")
  Path labelsFile;

  @Option(names = "--data", description = "Take the label set from the class folders of this <split>/<class>/<image> "
      + "dataset (sorted), and the model name from its folder name.")
  Path data;

  @Option(names = "--model-name", description = "Name the versions are published under (default: the --data folder's "
      + "name, else 'model').")
  String modelName;

  @Option(names = "--metrics-port", defaultValue = "-1", description = "Serve Prometheus metrics at "
      + "http://HOST:PORT/metrics (steps, samples, version, validation and champion accuracy, drift per label); -1 = off, "
      + "0 = any free port.")
  int metricsPort;

  @Option(names = "--metrics-host", defaultValue = "127.0.0.1", description = "Metrics bind address (default ${DEFAULT-VALUE}).")
  String metricsHost;

  @Override
  public Integer call() throws Exception {
    LabelSet set = labelSet();
    String name = modelName != null ? modelName : data != null ? Dataset.of(data).modelName() : "model";
    var registry = PrometheusRegistry.create();
    TrainerStage t = TrainerStage.start(Configs.trainer(kafka.bootstrapOrDefault(), kafka.topics(), common, trainer,
        common.workDir.resolve("checkpoints"), name, set.labels()), registry);
    MetricsServer metrics = null;
    try {
      if (metricsPort >= 0) {
        metrics = new MetricsServer(metricsHost, metricsPort, registry);
        System.err.println("streamfit train: metrics at http://" + metricsHost + ":" + metrics.port() + "/metrics");
      }
      Shutdown.awaitSignal(t);
    } finally {
      if (metrics != null) {
        metrics.close();
      }
    }
    return 0;
  }

  private LabelSet labelSet() {
    int given = (labels != null ? 1 : 0) + (labelsFile != null ? 1 : 0) + (data != null ? 1 : 0);
    if (given != 1) {
      throw new IllegalArgumentException("trainer.labels: give exactly one of --labels a,b,c, --labels-file FILE or "
          + "--data DIR (class folders), gave " + given);
    }
    if (labels != null) {
      return LabelSet.parse(labels, "--labels");
    }
    return labelsFile != null ? LabelSet.fromFile(labelsFile, "--labels-file") : LabelSet.fromFolders(data, "--data " + data);
  }
}
