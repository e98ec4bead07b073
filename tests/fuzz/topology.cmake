# Topology parsers: one libFuzzer target per parser family, each seeded from the recorded lab
# fixtures under corpus/<name>/ (topo-json: the golden topologies), with a short smoke run
# (10 s each keeps CI short).
foreach(pair "fuzz_topo_lxd:topo-lxd" "fuzz_topo_ip:topo-ip" "fuzz_topo_firewall:topo-firewall"
             "fuzz_topo_sections:topo-sections" "fuzz_topo_json:topo-json")
    string(REPLACE ":" ";" parts ${pair})
    list(GET parts 0 name)
    list(GET parts 1 corpus)
    add_executable(${name} ${name}.cpp)
    target_link_libraries(${name} PRIVATE Nestscope::core)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    # New inputs go to the first (build-tree) folder; the committed seeds are only read.
    file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/found-${corpus})
    add_test(NAME ${name}_smoke
        COMMAND ${name} -max_total_time=10 -timeout=5 -rss_limit_mb=2048
                ${CMAKE_CURRENT_BINARY_DIR}/found-${corpus} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${corpus})
    set_tests_properties(${name}_smoke PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
