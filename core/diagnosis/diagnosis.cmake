# Diagnosis: topology + a run's samples -> ranked findings with evidence and fixes. Core only.
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/diagnosis.cpp ${CMAKE_CURRENT_LIST_DIR}/diagnosis.h
    ${CMAKE_CURRENT_LIST_DIR}/firewall.cpp ${CMAKE_CURRENT_LIST_DIR}/firewall.h
)
