"""A national batch scan on Spark: `beian scan --partial` per partition of the inputs,
the parts merged by `beian merge` into the findings one scan of all the inputs makes.

    spark-submit Scale/spark/beian_spark.py --beian /usr/local/bin/beian --index national.beianidx \
        --coverage-file space.txt --output findings.jsonl [--partitions N] [--merge driver|tree] \
        [--geoip country.mmdb] [--inputs-file list.txt] INPUT...

Inputs are paths or URIs (file://, hdfs://, s3a://). Local paths are scanned where they are —
every executor must see them, as on a shared file system, from the driver's working
directory — and findings name them as given, as a single `beian scan` of them would; other
URIs are copied to the executor's local disk first (`hadoop fs -copyToLocal`) and findings
name the copy. The binary and the
snapshot go to the executors with the job (SparkFiles) unless --shared says every executor
already has them at the given paths. docs/scale.md tells how to run it on a cluster.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beian", required=True, help="the beian binary (Linux x86-64, as built by swift build -c release)")
    parser.add_argument("--index", required=True, help="the index snapshot the inputs are judged against")
    parser.add_argument("--output", required=True, help="where the findings go (JSON Lines, on the driver)")
    parser.add_argument("--coverage-file", help="prefixes the inputs see in full (for empty shells, over-reported access)")
    parser.add_argument("--geoip", help="a MaxMind country database (for addresses outside filed space)")
    parser.add_argument("--scope-unit", type=int, help="judge as access provider UNIT sees it (--scope own --unit UNIT)")
    parser.add_argument("--partitions", type=int, help="scans run in parallel (default: Spark's default parallelism)")
    parser.add_argument("--merge", choices=["driver", "tree"], default="driver",
                        help="merge every part on the driver, or pairwise on executors first (treeReduce)")
    parser.add_argument("--shared", action="store_true", help="--beian and --index are at these paths on every executor")
    parser.add_argument("--inputs-file", help="a file of inputs, one per line")
    parser.add_argument("--threads", type=int, default=1, help="threads of each scan (default 1: Spark gives one core a task)")
    parser.add_argument("inputs", nargs="*")
    options = parser.parse_args(argv)
    if options.inputs_file:
        with open(options.inputs_file, encoding="utf-8") as listing:
            options.inputs += [line.strip() for line in listing if line.strip() and not line.startswith("#")]
    if not options.inputs:
        parser.error("no inputs")
    return options


def local_copy(uri, directory):
    """A local path for `uri`: itself when local, else a copy under its path."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return parsed.path if parsed.scheme == "file" else uri
    target = os.path.join(directory, parsed.netloc, parsed.path.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # The Hadoop client reads every URI Spark reads (the JVM gateway is not in executors).
    subprocess.run(["hadoop", "fs", "-copyToLocal", uri, target], check=True)
    return target


def tool(path, shared):
    if shared:
        return path
    from pyspark import SparkFiles
    return SparkFiles.get(os.path.basename(path))


def scan_partition(settings):
    def run(number, inputs):
        inputs = list(inputs)
        if not inputs:
            return
        beian = tool(settings["beian"], settings["shared"])
        index = tool(settings["index"], settings["shared"])
        geoip = tool(settings["geoip"], settings["shared"]) if settings["geoip"] else None
        work = tempfile.mkdtemp(prefix="beian-part-")
        try:
            local = [local_copy(uri, work) for uri in inputs]
            part = os.path.join(work, "part-%05d.partial" % number)
            command = [beian, "scan", "--index", index, "--partial", "-o", part, "--threads", str(settings["threads"])]
            if geoip:
                command += ["--geoip", geoip]
            if settings["unit"] is not None:
                command += ["--scope", "own", "--unit", str(settings["unit"])]
            started = time.time()
            cwd = settings["cwd"] if os.path.isdir(settings["cwd"]) else None
            done = subprocess.run(command + local, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if done.returncode not in (0, 1):
                raise RuntimeError("beian scan failed on partition %d: %s" % (number, done.stderr.decode("utf-8", "replace")[-2000:]))
            with open(part, "rb") as f:
                yield (f.read(), time.time() - started, len(inputs))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return run


def merge_pair(settings):
    def run(a, b):
        beian = tool(settings["beian"], settings["shared"])
        index = tool(settings["index"], settings["shared"])
        work = tempfile.mkdtemp(prefix="beian-merge-")
        try:
            paths = []
            for number, blob in enumerate((a[0], b[0])):
                path = os.path.join(work, "%d.partial" % number)
                with open(path, "wb") as f:
                    f.write(blob)
                paths.append(path)
            out = os.path.join(work, "merged.partial")
            command = [beian, "merge", "--index", index, "--partial", "-o", out] + paths
            if settings["unit"] is not None:
                command += ["--scope", "own", "--unit", str(settings["unit"])]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            with open(out, "rb") as f:
                return (f.read(), a[1] + b[1], a[2] + b[2])
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return run


def main(argv):
    options = arguments(argv)
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.appName("beian-scan").getOrCreate()
    context = spark.sparkContext
    if not options.shared:
        for path in filter(None, (options.beian, options.index, options.geoip)):
            context.addFile(os.path.abspath(path))
    settings = {
        "beian": os.path.abspath(options.beian), "index": os.path.abspath(options.index),
        "geoip": os.path.abspath(options.geoip) if options.geoip else None, "shared": options.shared,
        "unit": options.scope_unit, "threads": options.threads, "cwd": os.getcwd(),
    }
    partitions = options.partitions or context.defaultParallelism
    started = time.time()
    parts = context.parallelize(options.inputs, min(partitions, len(options.inputs))).mapPartitionsWithIndex(scan_partition(settings))
    work = tempfile.mkdtemp(prefix="beian-spark-")
    try:
        if options.merge == "tree":
            merged = parts.treeReduce(merge_pair(settings), depth=2)
            blobs = [merged]
        else:
            blobs = parts.collect()
        scanned = time.time()
        paths = []
        for number, (blob, _, _) in enumerate(blobs):
            path = os.path.join(work, "%05d.partial" % number)
            with open(path, "wb") as f:
                f.write(blob)
            paths.append(path)
        command = [options.beian, "merge", "--index", options.index, "-o", options.output] + paths
        if options.coverage_file:
            command += ["--coverage-file", options.coverage_file]
        if options.scope_unit is not None:
            command += ["--scope", "own", "--unit", str(options.scope_unit)]
        subprocess.run(command, check=True)
        finished = time.time()
        task_seconds = sum(b[1] for b in blobs)
        print("beian-spark: %d inputs in %d partitions: scans and %s merge %.2f s (scan tasks %.2f s), final merge %.2f s, total %.2f s"
              % (len(options.inputs), partitions, options.merge, scanned - started, task_seconds, finished - scanned,
                 finished - started), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
