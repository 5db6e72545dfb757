// Pool.java - the JVM case of the realworld suite (java.sh), run as a
// single-file source program: a fixed thread pool whose tasks meet on a
// `synchronized` counter and a wait/notify hand-off, then parallel streams
// (the common fork/join pool) that allocate, so the collector runs.  Every
// line it prints is deterministic.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

public class Pool {
	static final Object lock = new Object();
	static long counter;
	static int slot = -1;

	public static void main(String[] args) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(8);
		List<Future<Long>> results = new ArrayList<>();
		for (int t = 0; t < 64; t++) {
			final int id = t;
			results.add(pool.submit(() -> {
				long local = 0;
				for (int i = 0; i < 20000; i++) {
					synchronized (lock) {
						counter++;
					}
					local += (long) i * id % 7;
				}
				return local;
			}));
		}
		long sum = 0;
		for (Future<Long> f : results)
			sum += f.get();

		// A producer and a consumer handing 2000 values over one slot.
		Future<Long> consumer = pool.submit(() -> {
			long got = 0;
			for (int i = 0; i < 2000; i++) {
				synchronized (lock) {
					while (slot < 0)
						lock.wait();
					got += slot;
					slot = -1;
					lock.notifyAll();
				}
			}
			return got;
		});
		for (int i = 0; i < 2000; i++) {
			synchronized (lock) {
				while (slot >= 0)
					lock.wait();
				slot = i;
				lock.notifyAll();
			}
		}
		long handed = consumer.get();
		pool.shutdown();
		if (!pool.awaitTermination(60, TimeUnit.SECONDS))
			throw new IllegalStateException("pool did not end");
		System.out.println("counter=" + counter + " sum=" + sum + " handed=" + handed);

		long squares = LongStream.range(0, 3_000_000).parallel()
				.map(x -> x * x % 1_000_003).sum();
		System.out.println("parallel squares=" + squares);
		for (int round = 0; round < 5; round++) {
			List<String> strings = IntStream.range(0, 200_000).parallel()
					.mapToObj(i -> Integer.toString(i * 7))
					.collect(Collectors.toList());
			long chars = strings.parallelStream().mapToLong(String::length).sum();
			System.out.println("round " + round + ": " + strings.size() + " strings, " + chars + " chars");
		}
	}
}
