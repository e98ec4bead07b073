# nestscope_add_test(<name> LABEL <unit|widgets|integration|lab> SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds one Qt Test executable and registers it with CTest under its label. Widget tests run on
# the offscreen platform so they need no display; every test gets a timeout so a hang fails fast.
function(nestscope_add_test name)
    cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;LIBRARIES" ${ARGN})
    if(NOT ARG_LABEL MATCHES "^(unit|widgets|integration|lab)$")
        message(FATAL_ERROR "nestscope_add_test(${name}): LABEL must be unit, widgets, integration or lab")
    endif()
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 120)
    endif()
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE Nestscope::settings Qt6::Test ${ARG_LIBRARIES})
    target_compile_definitions(${name} PRIVATE
        NESTSCOPE_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
        NESTSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME ${name} COMMAND ${name})
    set(env "")
    if(ARG_LABEL STREQUAL "widgets")
        # Under LeakSanitizer (the asan preset), one-time caches of the font and Graphviz stacks
        # are not leaks of ours: see the file.
        list(APPEND env "QT_QPA_PLATFORM=offscreen"
            "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/widgets/widgets.lsan.supp")
    endif()
    set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "${env}")
    if(ARG_LABEL STREQUAL "lab")
        # A lab test that cannot have the lab (not root) skips in initTestCase; ctest should say
        # "skipped", not "passed". (Under CI=true it fails instead: see tests/integration/labfixture.h.)
        set_tests_properties(${name} PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP   : [A-Za-z]+::initTestCase")
    endif()
endfunction()
