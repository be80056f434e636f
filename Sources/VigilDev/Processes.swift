import Foundation

/// Starts and stops the cluster's daemons as detached processes (own session,
/// output appended to a log file), so they outlive the command that started them.
public enum Processes {
    /// The folder holding Vigil's executables: the one this program runs from.
    public static var executableDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    public static func spawn(_ arguments: [String], log: String, environment: [String: String] = [:]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID: survive the parent's terminal

        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw DevClusterError("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        // A zombie (exited, not yet reaped) is not alive.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public static func terminate(_ pid: Int32, grace: Duration = .seconds(10)) async {
        guard isAlive(pid) else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isAlive(pid), ContinuousClock.now < deadline {
            reap(pid)
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isAlive(pid) { kill(pid, SIGKILL) }
        reap(pid)
    }

    /// Collects the exit status of a child, if it is ours and has exited.
    public static func reap(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    /// Every process (but this one) whose output goes to a file under
    /// `directory`: a cluster's daemons log there, including any restarted
    /// with a pid the cluster file no longer knows.
    public static func writingUnder(_ directory: String) -> [Int32] {
        let prefix = URL(fileURLWithPath: directory).standardizedFileURL.path + "/"
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard pid != me, isAlive(pid) else { return false }
            return [1, 2].contains { fd in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"))?.hasPrefix(prefix) == true
            }
        }
    }

    /// Terminates every process writing under `directory` (see `writingUnder`).
    public static func terminateAll(under directory: String, grace: Duration = .seconds(10)) async {
        await withTaskGroup(of: Void.self) { group in
            for pid in writingUnder(directory) { group.addTask { await terminate(pid, grace: grace) } }
        }
    }
}
