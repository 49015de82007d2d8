"""The REST API by area, one APIRouter each; ui/api/app.py includes them."""
