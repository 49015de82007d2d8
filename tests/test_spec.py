# tests/test_spec.py
import pytest
from fastapi.testclient import TestClient

from tests.spec_app import app

client = TestClient(app)


class TestAuthentication:
    """Spec: Authentication criteria"""

    def test_signup_creates_user_with_hashed_password(self):
        """POST /users/signup creates user with Argon2-hashed password"""
        response = client.post(
            "/users/signup", json={"email": "test@example.com", "password": "SecurePass123"}
        )
        assert response.status_code == 201
        assert "password" not in response.json()

    def test_token_returns_jwt(self):
        """POST /token returns JWT for valid credentials"""
        client.post("/users/signup", json={"email": "jwt@example.com", "password": "SecurePass123"})

        response = client.post(
            "/token", data={"username": "jwt@example.com", "password": "SecurePass123"}
        )
        assert response.status_code == 200
        assert "access_token" in response.json()

    def test_invalid_credentials_return_401(self):
        """Invalid credentials return 401 with generic message"""
        response = client.post(
            "/token", data={"username": "wrong@example.com", "password": "WrongPass"}
        )
        assert response.status_code == 401


class TestTaskCRUD:
    """Spec: Task CRUD criteria"""

    @pytest.fixture
    def auth_headers(self):
        """Get authenticated headers."""
        client.post(
            "/users/signup", json={"email": "crud@example.com", "password": "SecurePass123"}
        )
        token_response = client.post(
            "/token", data={"username": "crud@example.com", "password": "SecurePass123"}
        )
        token = token_response.json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def test_create_task(self, auth_headers):
        """POST /tasks creates task in database"""
        response = client.post(
            "/tasks",
            json={"title": "Test Task", "description": "Testing CRUD"},
            headers=auth_headers,
        )
        assert response.status_code == 201
        assert "id" in response.json()


class TestAgentEndpoints:
    """Spec: Agent endpoint criteria"""

    def test_help_requires_jwt(self):
        """POST /tasks/{id}/help requires valid JWT"""
        response = client.post("/tasks/1/help?query=test")
        assert response.status_code == 401

    def test_agents_status_lists_specialists(self):
        """GET /agents/status returns available agents"""
        response = client.get("/tasks/agents/status")
        assert response.status_code == 200
        assert "agents" in response.json()
