package dev.streamfit.app;

import dev.streamfit.broker.EmbeddedKafkaBroker;
import dev.streamfit.pipeline.Shutdown;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamfit broker}: a Kafka (KRaft) broker for running the stages as separate processes: a single node
 * with fresh storage, or one node of a multi-node cluster ({@code --voters}).
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = {"Run a Kafka (KRaft, broker+controller) node on 127.0.0.1 until interrupted.",
        "Alone (fresh storage each run), or one node of a cluster: same --voters and --cluster-id on every node,"
            + " each with its own --node-id, ports and --log-dir."})
public final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "9092", description = "Client port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--node-id", defaultValue = "1", description = "This node's id (cluster mode; default ${DEFAULT-VALUE}).")
  int nodeId;

  @Option(names = "--controller-port", defaultValue = "-1", description = "Controller port (cluster mode; default: --port + 1).")
  int controllerPort;

  @Option(names = "--voters", description = "controller.quorum.voters of the cluster, e.g. "
      + "1@127.0.0.1:19093,2@127.0.0.1:19193,3@127.0.0.1:19293. Without it: a single node with fresh storage.")
  String voters;

  @Option(names = "--cluster-id", defaultValue = "c3RyZWFtZml0LWxvY2Fs", description = "Cluster id every node formats with (22 chars, base64; default ${DEFAULT-VALUE}).")
  String clusterId;

  @Option(names = "--log-dir", description = "Storage of this node (cluster mode; kept, so a restarted node rejoins).")
  Path logDir;

  @Override
  public Integer call() throws Exception {
    EmbeddedKafkaBroker b;
    if (voters == null) {
      b = EmbeddedKafkaBroker.start(port, Map.of());
    } else {
      if (logDir == null) {
        throw new IllegalArgumentException("broker.log-dir is required with --voters (set --log-dir)");
      }
      int size = voters.split(",").length;
      if (!voters.contains(nodeId + "@")) {
        throw new IllegalArgumentException("broker.node-id " + nodeId + " is not among --voters " + voters + " (set --node-id)");
      }
      b = EmbeddedKafkaBroker.startNode(new EmbeddedKafkaBroker.ClusterNode(nodeId, port,
          controllerPort < 0 ? port + 1 : controllerPort, voters, clusterId, logDir, size));
    }
    System.out.println("broker up: --bootstrap-servers " + b.bootstrapServers());
    Shutdown.awaitSignal(b);
    return 0;
  }
}
