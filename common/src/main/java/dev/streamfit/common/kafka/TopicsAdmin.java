package dev.streamfit.common.kafka;

import dev.streamfit.schemas.TopicSpec;
import dev.streamfit.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates missing topics from {@link Topics#specs()}. Existing topics are left as they are. */
public final class TopicsAdmin {
  private static final Logger LOG = LoggerFactory.getLogger(TopicsAdmin.class);

  private TopicsAdmin() {}

  /**
   * Waits until every partition of {@code names} has a leader: producing into a partition the broker has
   * not taken up yet gets NOT_LEADER retries, which we saw end in out-of-order-sequence errors and 2-minute
   * delivery timeouts right after creation.
   */
  private static void awaitLeaders(Admin admin, List<String> names, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean ready = true;
      try {
        for (var d : admin.describeTopics(names).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS).values()) {
          ready &= d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
        ready = false;
      }
      if (ready) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("partitions of " + names + " have no leader after " + timeout);
      }
      Thread.sleep(50);
    }
  }

  /**
   * Ensures every topic of {@code topics} exists.
   *
   * @return the names that were created by this call
   * @throws IllegalStateException if the cluster cannot be reached within {@code timeout}
   */
  public static List<String> ensure(String bootstrapServers, Topics topics, Duration timeout) {
    try (Admin admin = KafkaClients.admin(bootstrapServers, timeout)) {
      return ensure(admin, bootstrapServers, topics, timeout);
    }
  }

  /**
   * As {@link #ensure(String, Topics, Duration)} with the caller's admin client (left open), connected to
   * {@code bootstrapServers} (named in errors).
   *
   * @return the names that were created by this call
   * @throws IllegalStateException if the cluster cannot be reached within {@code timeout}
   */
  public static List<String> ensure(Admin admin, String bootstrapServers, Topics topics, Duration timeout) {
    try {
      Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (TopicSpec spec : topics.specs()) {
        if (!existing.contains(spec.name())) {
          missing.add(new NewTopic(spec.name(), spec.partitions(), spec.replicationFactor()).configs(spec.configs()));
        }
      }
      List<String> created = new ArrayList<>();
      for (var entry : admin.createTopics(missing).values().entrySet()) {
        try {
          entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          created.add(entry.getKey());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      if (!created.isEmpty()) {
        awaitLeaders(admin, created, timeout);
        LOG.info("created topics {}", created);
      }
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topics on " + bootstrapServers + " within " + timeout
          + ": " + e.getMessage() + " (is --bootstrap-servers right and the cluster up?)", e);
    }
  }
}
