# The topology page: the graph scene, the view with its inspector, and the node details behind both.
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/topologyscene.cpp ${CMAKE_CURRENT_LIST_DIR}/topologyscene.h
    ${CMAKE_CURRENT_LIST_DIR}/topologyinspect.cpp ${CMAKE_CURRENT_LIST_DIR}/topologyinspect.h
    ${CMAKE_CURRENT_LIST_DIR}/topologyview.cpp ${CMAKE_CURRENT_LIST_DIR}/topologyview.h
)
